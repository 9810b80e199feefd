/**
 * The policy as the issuance pipeline sees it: the store's current pointer is read at
 * most every `ttlSeconds` (`SENTINEL_POLICY_TTL`); a version is read and compiled only
 * when the pointer names a version not compiled yet. Versions are immutable, so while
 * nobody pushes, a TTL expiry costs one small read.
 *
 * A version is read as its document (src/policy/document.ts: the policy the push
 * validated, as JSON, no YAML to parse). A version without a usable document (pushed
 * before documents were stored, or written by a build of another document format) is
 * read as its text and parsed, as the push did.
 *
 * Fail closed: when the store cannot be read, the caller gets the error, never a
 * policy older than the TTL; a stored text that no longer parses is an outage, never
 * an allow. With nothing stored yet, every request meets the default deny, whose
 * reason says that no policy is stored.
 *
 * The policy parser, and with it the YAML library (165 kB, the largest module a function
 * would otherwise load at its cold start), is a chunk of its own (scripts/buildOptions.mjs,
 * code splitting), loaded with `import()` only when a text must be parsed. A parser that
 * fails to load fails the load that needed it (the caller gets the error, nothing is
 * cached) and the next load tries again.
 */

import { SentinelError, UnavailableError } from '../errors.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { decodePolicyDocument } from '../policy/document.js';
import { defaultDeny } from '../policy/outcome.js';
import type { parsePolicy as ParsePolicy } from '../policy/parse.js';
import type { Decision, Policy } from '../policy/types.js';
import type { LoadedPolicy, PolicySource } from '../policy/source.js';
import type { PolicyVersions } from './types.js';

/** The reason every request is denied with while the store holds no policy. */
export const NO_POLICY_REASON = 'no policy is stored yet: an admin must push one';

type Parser = typeof ParsePolicy;

/** What the parser makes of `version: "1"` and `rules: []` alone (test/unit/policyStore/CachedPolicySource.test.ts checks). */
function emptyDocument(): Policy {
  return { version: '1', groups: Object.create(null) as Policy['groups'], rules: [], approvals: [], breakglass: [], admins: [] };
}

/** Version 0: an empty document whose every decision is the default deny, saying why. */
function emptyPolicy(): LoadedPolicy {
  const policy = emptyDocument();
  const decision: Decision = { ...defaultDeny(), reason: NO_POLICY_REASON };
  const compiled: CompiledPolicy = { policy, evaluate: () => ({ ...decision }) };
  return { policy, compiled, version: 0 };
}

/** A {@link PolicySource} over a store's {@link PolicyVersions}, cached for `ttlSeconds` (0 = read every call). */
export class CachedPolicySource implements PolicySource {
  readonly #store: PolicyVersions;
  readonly #ttlMs: number;
  #loaded: LoadedPolicy | undefined;
  /** When the load that produced `#loaded` started (ms since the epoch, by the caller's clock). */
  #loadedAt = 0;
  /** The load under way, shared by every caller that arrives while it runs. */
  #inFlight: Promise<LoadedPolicy> | undefined;
  /** The parser, loading or loaded (see above); a failed load is dropped, so the next one tries again. */
  #parser: Promise<Parser> | undefined;

  constructor(store: PolicyVersions, options: { ttlSeconds: number }) {
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
    // A failure from here on leaves `#loadedAt` where it was: the next call reads again, and nobody is served the old policy meanwhile.
    const version = (await this.#store.currentVersion()) ?? 0;
    let loaded: LoadedPolicy;
    if (this.#loaded !== undefined && this.#loaded.version === version) {
      // Versions are immutable: the same number is the same policy, already compiled. Nothing else read.
      loaded = this.#loaded;
    } else if (version === 0) {
      loaded = emptyPolicy();
    } else {
      loaded = (await this.#fromDocument(version)) ?? (await this.#fromText(version));
    }
    this.#loaded = loaded;
    this.#loadedAt = startedAt;
    return loaded;
  }

  /** The version compiled from its document; undefined when it has none this build reads (the text is then the way). */
  async #fromDocument(version: number): Promise<LoadedPolicy | undefined> {
    const json = await this.#store.readDocument(version);
    const policy = json === undefined ? undefined : decodePolicyDocument(json);
    if (policy === undefined) return undefined;
    try {
      return { policy, compiled: compilePolicy(policy), version };
    } catch {
      // Of the right shape, yet not compilable: not what a push of this build writes. The text decides.
      return undefined;
    }
  }

  async #fromText(version: number): Promise<LoadedPolicy> {
    // The parser loads while the text is read.
    const parsing = this.#loadParser();
    // Awaited below once the text is read; when reading fails, a failed load must not go unhandled.
    parsing.catch(() => undefined);
    const { text } = await this.#store.read(version);
    return compile(await parsing, text, version);
  }

  #loadParser(): Promise<Parser> {
    this.#parser ??= import('../policy/parse.js').then(
      (module) => module.parsePolicy,
      (error: unknown) => {
        this.#parser = undefined;
        throw error;
      },
    );
    return this.#parser;
  }
}

function compile(parsePolicy: Parser, text: string, version: number): LoadedPolicy {
  try {
    const policy = parsePolicy(text, `<stored policy v${version}>`);
    return { policy, compiled: compilePolicy(policy), version };
  } catch (error) {
    // The text was validated when pushed; failing now means this build reads it differently.
    throw new UnavailableError(`the stored policy (version ${version}) no longer parses`, { cause: error });
  }
}
