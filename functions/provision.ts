// Lambda entry of the provision function (the three provisioning routes (admins), src/api/routes.ts): built once per
// cold start from the environment, only what its routes use (src/compose/provision.ts).
import { lambdaHandler } from '../src/compose/lambda.js';
import { provisionFunction } from '../src/compose/provision.js';

export const handler = lambdaHandler('provision', provisionFunction);
