// Lambda entry for the three provisioning routes (admins only): one function, because
// the routes share their dependencies and their IAM permissions; the router picks the
// route by API Gateway's route key and runs it inside the shared HTTP stack.
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/http/deps.js';
import { httpRouter } from '../src/http/router.js';
import { iamPolicyRoute, provisionRoute, provisionStatusRoute } from '../src/http/routes/provision.js';

const deps = createDeps(loadConfig(process.env));

export const handler = httpRouter(deps, {
  'POST /v1/provision': provisionRoute(deps),
  'GET /v1/provision/{table}': provisionStatusRoute(deps),
  'GET /v1/provision/iam-policy': iamPolicyRoute(deps),
});
