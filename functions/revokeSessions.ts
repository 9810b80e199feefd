// Lambda entry of the revokeSessions function (POST /v1/sessions/{id}/revoke, POST /v1/sessions/revoke; admins,
// src/api/routes.ts): built once per cold start from the environment (src/compose/sessions.ts).
import { revokeSessionsFunction } from '../src/compose/sessions.js';
import { lambdaHandler } from '../src/compose/lambda.js';

export const handler = lambdaHandler('revokeSessions', revokeSessionsFunction);
