// Lambda entry of the putPolicy function (PUT /v1/policy, src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/policy.ts).
import { lambdaHandler } from '../src/compose/lambda.js';
import { putPolicyFunction } from '../src/compose/policy.js';

export const handler = lambdaHandler('putPolicy', putPolicyFunction);
