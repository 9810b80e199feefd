// Lambda entry of the credentials function (POST /v1/credentials, src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/credentials.ts).
import { lambdaHandler } from '../src/compose/lambda.js';
import { credentialsFunction } from '../src/compose/credentials.js';

export const handler = lambdaHandler('credentials', credentialsFunction);
