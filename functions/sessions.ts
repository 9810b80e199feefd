// Lambda entry of the sessions function (GET /v1/sessions, GET /v1/sessions/{id}, src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/sessions.ts).
import { sessionsFunction } from '../src/compose/sessions.js';
import { lambdaHandler } from '../src/compose/lambda.js';

export const handler = lambdaHandler('sessions', sessionsFunction);
