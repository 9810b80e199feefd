// Lambda entry for `PUT /v1/policy`: dependencies built once per cold start, then the
// shared HTTP stack (src/http) around the route.
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/http/deps.js';
import { httpHandler } from '../src/http/handler.js';
import { putPolicyRoute } from '../src/http/routes/policy.js';

const deps = createDeps(loadConfig(process.env));

export const handler = httpHandler(deps, putPolicyRoute(deps));
