import { describe, expect, it } from 'vitest';
import { SentinelError } from '../../../src/errors.js';
import { PolicyValidationError } from '../../../src/policy/parse.js';
import { CachedPolicySource, NO_POLICY_REASON } from '../../../src/policyStore/CachedPolicySource.js';
import type { PolicyStore, StoredPolicy } from '../../../src/policyStore/types.js';

const T0 = new Date('2025-03-04T10:00:00.000Z');

function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

function policyText(effect: 'allow' | 'deny'): string {
  return `version: "1"\nrules:\n  - name: everyone\n    effect: ${effect}\n`;
}

function stored(version: number, text: string): StoredPolicy {
  return { text, version, updatedAt: T0.toISOString(), updatedBy: 'ops-erin' };
}

/** A store whose answers the test sets, counting reads; `hold()` makes the next reads wait. */
class FakeStore implements PolicyStore {
  answer: StoredPolicy | undefined | Error;
  reads = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  constructor(answer: StoredPolicy | undefined | Error) {
    this.answer = answer;
  }

  hold(): () => void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
    return () => this.#open?.();
  }

  async current(): Promise<StoredPolicy | undefined> {
    this.reads++;
    if (this.#gate !== undefined) await this.#gate;
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }

  async put(): Promise<StoredPolicy> {
    throw new Error('not used');
  }
}

const request = { user: 'alice', profile: 'prod', mode: 'cli' as const, time: T0 };

describe('CachedPolicySource', () => {
  it('serves the stored policy, parsed and compiled, with its version', async () => {
    const source = new CachedPolicySource(new FakeStore(stored(3, policyText('allow'))), { ttlSeconds: 10 });
    const loaded = await source.current(T0);
    expect(loaded.version).toBe(3);
    expect(loaded.policy.rules.map((rule) => rule.name)).toEqual(['everyone']);
    expect(loaded.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'everyone' });
  });

  it('reads the store again only once the TTL has passed', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await source.current(T0);
    await source.current(at(9.999));
    expect(store.reads).toBe(1);
    store.answer = stored(2, policyText('deny'));
    const reloaded = await source.current(at(10));
    expect(store.reads).toBe(2);
    expect(reloaded.version).toBe(2);
    expect(reloaded.compiled.evaluate(request).effect).toBe('deny');
  });

  it('reads the store on every call with a TTL of 0', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 0 });
    await source.current(T0);
    await source.current(T0);
    await source.current(T0);
    expect(store.reads).toBe(3);
  });

  it('reuses the compiled policy while the version is unchanged', async () => {
    const store = new FakeStore(stored(7, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 1 });
    const first = await source.current(T0);
    const second = await source.current(at(5));
    expect(store.reads).toBe(2);
    expect(second).toBe(first);
  });

  it('lets concurrent callers share one read of the store', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const release = store.hold();
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    const pending = Array.from({ length: 25 }, () => source.current(T0));
    release();
    const results = await Promise.all(pending);
    expect(store.reads).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('denies everything, saying no policy is stored, while the store is empty', async () => {
    const source = new CachedPolicySource(new FakeStore(undefined), { ttlSeconds: 10 });
    const loaded = await source.current(T0);
    expect(loaded.version).toBe(0);
    expect(loaded.policy.rules).toEqual([]);
    const decision = loaded.compiled.evaluate(request);
    expect(decision).toMatchObject({ effect: 'deny', rule: '', ruleIndex: -1, reason: NO_POLICY_REASON });
    expect(decision.reason).toBe('no policy is stored yet: an admin must push one');
  });

  it('picks up the first pushed policy after the TTL', async () => {
    const store = new FakeStore(undefined);
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    expect((await source.current(T0)).version).toBe(0);
    store.answer = stored(1, policyText('allow'));
    expect((await source.current(at(11))).compiled.evaluate(request).effect).toBe('allow');
  });

  it('fails closed when the store fails after the TTL, instead of serving the stale policy', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await source.current(T0);
    const outage = new SentinelError('UNAVAILABLE', 'the policy store is unavailable');
    store.answer = outage;
    await expect(source.current(at(10))).rejects.toBe(outage);
    await expect(source.current(at(11))).rejects.toBe(outage);
    expect(store.reads).toBe(3);
  });

  it('recovers once the store answers again', async () => {
    const store = new FakeStore(new SentinelError('UNAVAILABLE', 'down'));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await expect(source.current(T0)).rejects.toThrow('down');
    store.answer = stored(2, policyText('allow'));
    expect((await source.current(T0)).version).toBe(2);
  });

  it('is UNAVAILABLE, never an allow, when the stored text no longer parses', async () => {
    const store = new FakeStore(stored(4, 'version: "1"\nrules:\n  - name: x\n    effect: allow_everything\n'));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    const error = await source.current(T0).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(SentinelError);
    expect((error as SentinelError).code).toBe('UNAVAILABLE');
    expect((error as SentinelError).message).toBe('the stored policy (version 4) no longer parses');
    expect((error as SentinelError).cause).toBeInstanceOf(PolicyValidationError);
  });

  it('does not keep serving the previous version when the newer one does not parse', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await source.current(T0);
    store.answer = stored(2, 'rules: [');
    await expect(source.current(at(10))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('refuses a negative TTL', () => {
    expect(() => new CachedPolicySource(new FakeStore(undefined), { ttlSeconds: -1 })).toThrow(SentinelError);
  });
});
