/** The endSession function: `POST /v1/sessions/{id}/end` (owner). DynamoDB only. */

import type { FunctionRoutes } from '../http/route.js';
import { endSessionRoute } from '../http/routes/endSession.js';
import { sessions, sessionTables, tableSettings } from './dynamo.js';
import type { Runtime } from './runtime.js';

export function endSessionFunction(runtime: Runtime): FunctionRoutes<'endSession'> {
  return { endSession: endSessionRoute({ sessions: sessions(runtime), sessionTables: sessionTables(runtime), settings: tableSettings(runtime) }) };
}
