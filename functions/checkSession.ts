// Lambda entry of the checkSession function (POST /v1/sessions/{id}/check, src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/checkSession.ts).
import { checkSessionFunction } from '../src/compose/checkSession.js';
import { lambdaHandler } from '../src/compose/lambda.js';

export const handler = lambdaHandler('checkSession', checkSessionFunction);
