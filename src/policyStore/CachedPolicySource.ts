/**
 * The policy as the issuance pipeline sees it: read from the store at most every
 * `ttlSeconds` (`SENTINEL_POLICY_TTL`), compiled once per version.
 *
 * Fail closed: when the store cannot be read, the caller gets the error, never a
 * policy older than the TTL; a stored text that no longer parses is an outage, never
 * an allow. With nothing stored yet, every request meets the default deny, whose
 * reason says that no policy is stored.
 */

import { SentinelError, UnavailableError } from '../errors.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { defaultDeny } from '../policy/outcome.js';
import { parsePolicy } from '../policy/parse.js';
import type { Decision } from '../policy/types.js';
import type { LoadedPolicy, PolicySource } from '../policy/source.js';
import type { PolicyStore } from './types.js';

/** The reason every request is denied with while the store holds no policy. */
export const NO_POLICY_REASON = 'no policy is stored yet: an admin must push one';

/** Version 0: an empty document whose every decision is the default deny, saying why. */
function emptyPolicy(): LoadedPolicy {
  const policy = parsePolicy('version: "1"\nrules: []\n', '<no policy stored>');
  const decision: Decision = { ...defaultDeny(), reason: NO_POLICY_REASON };
  const compiled: CompiledPolicy = { policy, evaluate: () => ({ ...decision }) };
  return { policy, compiled, version: 0 };
}

/** A {@link PolicySource} over a {@link PolicyStore}, cached for `ttlSeconds` (0 = read every call). */
export class CachedPolicySource implements PolicySource {
  readonly #store: PolicyStore;
  readonly #ttlMs: number;
  #loaded: LoadedPolicy | undefined;
  /** When the load that produced `#loaded` started (ms since the epoch, by the caller's clock). */
  #loadedAt = 0;
  /** The load under way, shared by every caller that arrives while it runs. */
  #inFlight: Promise<LoadedPolicy> | undefined;

  constructor(store: PolicyStore, options: { ttlSeconds: number }) {
    if (!Number.isFinite(options.ttlSeconds) || options.ttlSeconds < 0) {
      // loadConfig validates SENTINEL_POLICY_TTL; reaching this is a wiring bug.
      throw new SentinelError('INTERNAL', `the policy cache TTL must be a number of seconds ≥ 0, not ${options.ttlSeconds}`);
    }
    this.#store = store;
    this.#ttlMs = options.ttlSeconds * 1000;
  }

  async current(now: Date): Promise<LoadedPolicy> {
    const age = now.getTime() - this.#loadedAt;
    // A clock that went backwards makes the age negative: reload rather than trust it.
    if (this.#loaded !== undefined && age >= 0 && age < this.#ttlMs) return this.#loaded;
    this.#inFlight ??= this.#load(now.getTime()).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #load(startedAt: number): Promise<LoadedPolicy> {
    const stored = await this.#store.current();
    let loaded: LoadedPolicy;
    if (stored === undefined) {
      loaded = this.#loaded?.version === 0 ? this.#loaded : emptyPolicy();
    } else if (this.#loaded !== undefined && this.#loaded.version === stored.version) {
      // Versions are immutable: the same number is the same text, already compiled.
      loaded = this.#loaded;
    } else {
      loaded = compile(stored.text, stored.version);
    }
    this.#loaded = loaded;
    this.#loadedAt = startedAt;
    return loaded;
  }
}

function compile(text: string, version: number): LoadedPolicy {
  try {
    const policy = parsePolicy(text, `<stored policy v${version}>`);
    return { policy, compiled: compilePolicy(policy), version };
  } catch (error) {
    // The text was validated when pushed; failing now means this build reads it differently.
    throw new UnavailableError(`the stored policy (version ${version}) no longer parses`, { cause: error });
  }
}
