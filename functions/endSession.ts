// Lambda entry for `POST /v1/sessions/{id}/end`: dependencies built once per cold start, then the
// shared HTTP stack (src/http) around the route.
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/http/deps.js';
import { httpHandler } from '../src/http/handler.js';
import { endSessionRoute } from '../src/http/routes/endSession.js';

const deps = createDeps(loadConfig(process.env));

export const handler = httpHandler(deps, endSessionRoute(deps));
