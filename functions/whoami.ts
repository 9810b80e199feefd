// Lambda entry for `GET /v1/whoami`: dependencies built once per cold start, then the
// shared HTTP stack (src/http) around the route.
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/http/deps.js';
import { httpHandler } from '../src/http/handler.js';
import { whoamiRoute } from '../src/http/routes/whoami.js';

const deps = createDeps(loadConfig(process.env));

export const handler = httpHandler(deps, whoamiRoute(deps));
