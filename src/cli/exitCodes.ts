/**
 * The `sentinel` exit codes. Stable: scripts and CI jobs key on them (docs/cli.md).
 */

/** Success. For `policy eval`: a decision was made, whatever its effect. */
export const EXIT_OK = 0;
/** An error: invalid policy, unreadable file, `lint --strict` with warnings, a failed call. */
export const EXIT_ERROR = 1;
/** A usage error: unknown command or option, missing or bad option value. */
export const EXIT_USAGE = 2;
/**
 * The policy refused: a denial (deny, approval required, server mode or session
 * tracking required). The guidance on stderr says what would work.
 */
export const EXIT_DENIED = 3;
