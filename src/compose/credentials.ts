/** The credentials function: `POST /v1/credentials` (issue or refresh). DynamoDB and STS. */

import { randomBytes } from 'node:crypto';
import { credentialsRoute } from '../http/routes/credentials.js';
import type { VendingDeps } from '../vending/issue.js';
import { countedWrites, policies, rateLimiter, sessions, sessionTables, tableSettings } from './dynamo.js';
import { grantSource } from './grants.js';
import type { Composed, Runtime } from './runtime.js';
import { issuer } from './sts.js';

/** The `alert` field of the decision line of an issuance under break-glass. */
export const BREAKGLASS_ISSUANCE_ALERT = 'SentinelBreakglassIssuance';

export function vendingDeps(runtime: Runtime): VendingDeps {
  const { config, logger } = runtime;
  return {
    settings: { ...tableSettings(runtime), maxSessionLifetimeSeconds: config.maxSessionLifetimeSeconds, auditRetentionSeconds: config.auditRetentionSeconds },
    sessions: sessions(runtime),
    policies: policies(runtime),
    rateLimiter: rateLimiter(runtime),
    counted: countedWrites(runtime),
    sessionTables: sessionTables(runtime),
    issuer: issuer(runtime),
    clock: runtime.clock,
    randomHex: (bytes) => randomBytes(bytes).toString('hex'),
    grants: grantSource(runtime),
    decisions: {
      // Every issuance under break-glass is a WARN line an alarm matches on `alert` (docs/deploy.md, Alarms).
      record: (line) => (line.via.startsWith('bg-') ? logger.warn('decision', { ...line, alert: BREAKGLASS_ISSUANCE_ALERT }) : logger.info('decision', { ...line })),
      warn: (message, error) => logger.warn(message, { error }),
    },
  };
}

export function credentialsFunction(runtime: Runtime): Composed<'credentials'> {
  return { routes: { credentials: credentialsRoute(vendingDeps(runtime)) } };
}
