// Lambda entry for `POST /v1/credentials`: dependencies built once per cold start, then the
// shared HTTP stack (src/http) around the route.
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/http/deps.js';
import { httpHandler } from '../src/http/handler.js';
import { credentialsRoute } from '../src/http/routes/credentials.js';

const deps = createDeps(loadConfig(process.env));

export const handler = httpHandler(deps, credentialsRoute(deps));
