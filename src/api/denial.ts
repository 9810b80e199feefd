/**
 * The `denial` member of the HTTP error body (`{ error: { code, message, requestId, denial? } }`).
 *
 * Defined next to the policy engine, which produces it; re-exported here because it
 * is part of the HTTP contract the functions and the CLI share.
 */
export type { Denial, DenialAlternative } from '../policy/denial.js';
