// Lambda entry of the evaluatePolicy function (POST /v1/policy/evaluate, src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/policy.ts).
import { lambdaHandler } from '../src/compose/lambda.js';
import { evaluatePolicyFunction } from '../src/compose/policy.js';

export const handler = lambdaHandler('evaluatePolicy', evaluatePolicyFunction);
