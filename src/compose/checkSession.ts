/** The checkSession function: `POST /v1/sessions/{id}/check` (owner). DynamoDB only: no STS. */

import { checkSessionRoute } from '../http/routes/checkSession.js';
import { policies, sessions, sessionTables, tableSettings } from './dynamo.js';
import { grantSource } from './grants.js';
import type { Composed, Runtime } from './runtime.js';

export function checkSessionFunction(runtime: Runtime): Composed<'checkSession'> {
  const { config } = runtime;
  return {
    routes: {
      checkSession: checkSessionRoute({
        settings: { ...tableSettings(runtime), maxSessionLifetimeSeconds: config.maxSessionLifetimeSeconds, auditRetentionSeconds: config.auditRetentionSeconds },
        sessions: sessions(runtime),
        policies: policies(runtime),
        sessionTables: sessionTables(runtime),
        clock: runtime.clock,
        grants: grantSource(runtime),
      }),
    },
  };
}
