// Lambda entry of the profiles function (GET /v1/profiles, src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/profiles.ts).
import { lambdaHandler } from '../src/compose/lambda.js';
import { profilesFunction } from '../src/compose/profiles.js';

export const handler = lambdaHandler('profiles', profilesFunction);
