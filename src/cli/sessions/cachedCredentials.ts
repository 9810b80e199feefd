/**
 * After `sessions revoke ID` or `sessions end ID` on this machine: the credentials
 * cache of `sentinel credentials` (src/cli/credentials/cache.ts) must not go on handing
 * out that session's credentials, which AWS now refuses (a revocation's deny) or which
 * belong to a session that is over. Loaded only by those two commands.
 */

import type { CommandContext } from '../context.js';

/**
 * Drops this machine's cached credentials of session `id`. Returns the line the text
 * output adds when some were dropped; a problem is one warning on stderr and never
 * fails the command (the session is revoked or ended all the same).
 */
export async function forgetCachedCredentials(id: string, context: CommandContext): Promise<string[]> {
  const { cacheSupported, credentialsCacheDir, dropSessionEntries } = await import('../credentials/cache.js');
  if (!cacheSupported()) return [];
  const { dropped, problem } = await dropSessionEntries(credentialsCacheDir(context.env), id);
  if (problem !== undefined) context.stderr.write(`sentinel: warning: ${problem}\n`);
  return dropped === 0 ? [] : [`removed its credentials from this machine's credentials cache (sentinel credentials asks the API next time)`];
}
