/**
 * Why a file could not be read, in the same words for every command (light on
 * purpose: command modules load it at start-up).
 */

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
};

/** The reason for a failed read: plain words for the common errno codes, else the code or message. */
export function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && READ_ERRORS[code] !== undefined) return READ_ERRORS[code];
  return code ?? (error instanceof Error ? error.message : String(error));
}
