// Lambda entry of the whoami function (GET /v1/whoami, src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/whoami.ts).
import { lambdaHandler } from '../src/compose/lambda.js';
import { whoamiFunction } from '../src/compose/whoami.js';

export const handler = lambdaHandler('whoami', whoamiFunction);
