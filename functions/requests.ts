// Lambda entry of the requests function (POST/GET /v1/requests, GET /v1/requests/{id}, POST /v1/requests/{id}/approve|deny|cancel,
// src/api/routes.ts): built once per cold start from the environment, only what its routes use (src/compose/requests.ts).
import { requestsFunction } from '../src/compose/requests.js';
import { lambdaHandler } from '../src/compose/lambda.js';

export const handler = lambdaHandler('requests', requestsFunction);
