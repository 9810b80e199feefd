// Lambda entry for `POST /v1/policy/evaluate`: dependencies built once per cold start, then the
// shared HTTP stack (src/http) around the route.
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/http/deps.js';
import { httpHandler } from '../src/http/handler.js';
import { evaluatePolicyRoute } from '../src/http/routes/policy.js';

const deps = createDeps(loadConfig(process.env));

export const handler = httpHandler(deps, evaluatePolicyRoute(deps));
