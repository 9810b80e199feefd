// Lambda entry of the breakglass function (POST /v1/breakglass, GET /v1/breakglass, POST /v1/breakglass/{id}/close,
// src/api/routes.ts): built once per cold start from the environment, only what its routes use (src/compose/breakglass.ts).
import { breakglassFunction } from '../src/compose/breakglass.js';
import { lambdaHandler } from '../src/compose/lambda.js';

export const handler = lambdaHandler('breakglass', breakglassFunction);
