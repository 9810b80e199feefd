// Lambda entry of the endSession function (POST /v1/sessions/{id}/end, src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/endSession.ts).
import { lambdaHandler } from '../src/compose/lambda.js';
import { endSessionFunction } from '../src/compose/endSession.js';

export const handler = lambdaHandler('endSession', endSessionFunction);
