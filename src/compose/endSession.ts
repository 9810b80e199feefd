/** The endSession function: `POST /v1/sessions/{id}/end` (owner). DynamoDB only. */

import { endSessionRoute } from '../http/routes/endSession.js';
import { sessions, sessionTables, tableSettings } from './dynamo.js';
import type { Composed, Runtime } from './runtime.js';

export function endSessionFunction(runtime: Runtime): Composed<'endSession'> {
  return { routes: { endSession: endSessionRoute({ sessions: sessions(runtime), sessionTables: sessionTables(runtime), settings: tableSettings(runtime) }) } };
}
