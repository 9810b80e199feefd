import { afterEach, describe, expect, it, vi } from 'vitest';
import { SentinelError, UnavailableError } from '../../../src/errors.js';
import { encodePolicyDocument } from '../../../src/policy/document.js';
import { loadPolicy, parsePolicy, PolicyValidationError } from '../../../src/policy/parse.js';
import { CachedPolicySource, NO_POLICY_REASON } from '../../../src/policyStore/CachedPolicySource.js';
import type { PolicyVersions, StoredPolicy } from '../../../src/policyStore/types.js';

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

/**
 * A store whose answers the test sets, counting pointer, document and text reads apart;
 * `hold()` makes the next pointer reads wait. `answer` is what the pointer names and
 * that version's items hold: its text and, as a push stores it, its document (when
 * `documents` is on and the text is valid; off, versions are as pushed before documents
 * were stored). An Error fails the pointer read.
 */
class FakeStore implements PolicyVersions {
  answer: StoredPolicy | undefined | Error;
  documents = true;
  /** Fails the document and text reads (after counting them), as a damaged or unreachable store would. */
  versionFault: Error | undefined;
  pointerReads = 0;
  documentReads = 0;
  textReads = 0;
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

  async currentVersion(): Promise<number | undefined> {
    this.pointerReads++;
    if (this.#gate !== undefined) await this.#gate;
    if (this.answer instanceof Error) throw this.answer;
    return this.answer?.version;
  }

  async read(version: number): Promise<StoredPolicy> {
    this.textReads++;
    return this.#version(version);
  }

  async readDocument(version: number): Promise<string | undefined> {
    this.documentReads++;
    const { text } = this.#version(version);
    const { policy } = loadPolicy(text);
    return this.documents && policy !== undefined ? encodePolicyDocument(policy) : undefined;
  }

  #version(version: number): StoredPolicy {
    if (this.versionFault !== undefined) throw this.versionFault;
    if (this.answer instanceof Error || this.answer?.version !== version) throw new Error(`the fake was asked for version ${version}, which its pointer does not name`);
    return this.answer;
  }
}

/** A store of versions without documents, as pushed before documents were stored: each is read as its text. */
function legacyStore(answer: StoredPolicy | undefined): FakeStore {
  const store = new FakeStore(answer);
  store.documents = false;
  return store;
}

const request = { user: 'alice', profile: 'prod', mode: 'cli' as const, time: T0 };

describe('CachedPolicySource', () => {
  it('serves the stored policy, compiled from its document, with its version', async () => {
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
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([1, 1, 0]);
    store.answer = stored(2, policyText('deny'));
    const reloaded = await source.current(at(10));
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([2, 2, 0]);
    expect(reloaded.version).toBe(2);
    expect(reloaded.compiled.evaluate(request).effect).toBe('deny');
  });

  it('reads the pointer on every call with a TTL of 0, and the version only once', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 0 });
    await source.current(T0);
    await source.current(T0);
    await source.current(T0);
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([3, 1, 0]);
  });

  it('reads only the pointer on each TTL expiry while the version is unchanged, reusing the compiled policy', async () => {
    const store = new FakeStore(stored(7, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 1 });
    const first = await source.current(T0);
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([1, 1, 0]);
    for (let expiry = 1; expiry <= 20; expiry++) expect(await source.current(at(expiry))).toBe(first);
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([21, 1, 0]);
  });

  it('reads the document of a pushed version exactly once, then recompiles it', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await source.current(T0);
    store.answer = stored(2, policyText('deny'));
    const pushed = await source.current(at(10));
    expect(pushed.version).toBe(2);
    expect(pushed.compiled.evaluate(request).effect).toBe('deny');
    expect(await source.current(at(20))).toBe(pushed);
    expect(await source.current(at(30))).toBe(pushed);
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([4, 2, 0]);
  });

  it('lets concurrent callers share one read of the store', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const release = store.hold();
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    const pending = Array.from({ length: 25 }, () => source.current(T0));
    release();
    const results = await Promise.all(pending);
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([1, 1, 0]);
    expect(new Set(results).size).toBe(1);
  });

  it('lets concurrent callers after a TTL expiry share one pointer read, and read no version', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    const first = await source.current(T0);
    const release = store.hold();
    const pending = Array.from({ length: 25 }, () => source.current(at(10)));
    release();
    expect(new Set(await Promise.all(pending))).toEqual(new Set([first]));
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([2, 1, 0]);
  });

  it('denies everything, saying no policy is stored, while the store is empty', async () => {
    const source = new CachedPolicySource(new FakeStore(undefined), { ttlSeconds: 10 });
    const loaded = await source.current(T0);
    expect(loaded.version).toBe(0);
    // What the parser makes of the smallest document, without loading the parser.
    expect(loaded.policy).toEqual(parsePolicy('version: "1"\nrules: []\n'));
    expect(Object.getPrototypeOf(loaded.policy.groups)).toBeNull();
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
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([3, 1, 0]);
  });

  it.each([
    ['its document', false],
    ['its text (a version without a document)', true],
  ])('fails closed when %s cannot be read, instead of serving the previous version', async (_case, legacy) => {
    const store = legacy ? legacyStore(stored(1, policyText('allow'))) : new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await source.current(T0);
    store.answer = stored(2, policyText('deny'));
    const outage = new UnavailableError('the policy store is unavailable');
    store.versionFault = outage;
    await expect(source.current(at(10))).rejects.toBe(outage);
    await expect(source.current(at(11))).rejects.toBe(outage);
    // The failed document read is not taken for a missing document: no text is read after it.
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual(legacy ? [3, 3, 1] : [3, 3, 0]);
    store.versionFault = undefined;
    expect((await source.current(at(12))).version).toBe(2);
  });

  it('reads and parses the text of a version that has no document (pushed before documents were stored)', async () => {
    const store = legacyStore(stored(3, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    const loaded = await source.current(T0);
    expect(loaded.policy).toEqual(parsePolicy(policyText('allow')));
    expect(loaded.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'everyone' });
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([1, 1, 1]);
  });

  it('decodes the same policy from a document as the parser makes of its text', async () => {
    const text = `version: "1"\ngroups:\n  constructor: [alice]\nrules:\n  - name: by-group\n    effect: allow\n    conditions:\n      groups: [constructor]\n`;
    const fromDocument = await new CachedPolicySource(new FakeStore(stored(1, text)), { ttlSeconds: 10 }).current(T0);
    const fromText = await new CachedPolicySource(legacyStore(stored(1, text)), { ttlSeconds: 10 }).current(T0);
    expect(fromDocument.policy).toEqual(fromText.policy);
    expect(Object.getPrototypeOf(fromDocument.policy.groups)).toBeNull();
    expect(fromDocument.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'by-group' });
    expect(fromDocument.compiled.evaluate({ ...request, user: 'bob' })).toMatchObject({ effect: 'deny' });
  });

  it('serves the cached version again, without reading its text, once the pointer is readable again and still names it', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    const first = await source.current(T0);
    const answer = store.answer;
    store.answer = new SentinelError('UNAVAILABLE', 'down');
    await expect(source.current(at(10))).rejects.toThrow('down');
    store.answer = answer;
    expect(await source.current(at(10))).toBe(first);
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([3, 1, 0]);
  });

  it('falls back to the default deny, without reading any text, when the pointer disappears', async () => {
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await source.current(T0);
    store.answer = undefined;
    const loaded = await source.current(at(10));
    expect(loaded.version).toBe(0);
    expect(loaded.compiled.evaluate(request)).toMatchObject({ effect: 'deny', reason: NO_POLICY_REASON });
    expect([store.pointerReads, store.documentReads, store.textReads]).toEqual([2, 1, 0]);
  });

  it('recovers once the store answers again', async () => {
    const store = new FakeStore(new SentinelError('UNAVAILABLE', 'down'));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await expect(source.current(T0)).rejects.toThrow('down');
    store.answer = stored(2, policyText('allow'));
    expect((await source.current(T0)).version).toBe(2);
  });

  it('is UNAVAILABLE, never an allow, when the stored text no longer parses', async () => {
    const store = legacyStore(stored(4, 'version: "1"\nrules:\n  - name: x\n    effect: allow_everything\n'));
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
    const store = legacyStore(stored(1, policyText('allow')));
    const source = new CachedPolicySource(store, { ttlSeconds: 10 });
    await source.current(T0);
    store.answer = stored(2, 'rules: [');
    await expect(source.current(at(10))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('refuses a negative TTL', () => {
    expect(() => new CachedPolicySource(new FakeStore(undefined), { ttlSeconds: -1 })).toThrow(SentinelError);
  });
});

describe('CachedPolicySource, the policy parser loaded on first use (code splitting)', () => {
  afterEach(() => {
    vi.doUnmock('../../../src/policy/parse.js');
    vi.resetModules();
  });

  it('fails the load, caching nothing, when the parser cannot be loaded, and loads it again on the next call', async () => {
    let loads = 0;
    vi.resetModules();
    vi.doMock('../../../src/policy/parse.js', async (importOriginal) => {
      loads += 1;
      if (loads === 1) throw new Error('chunk missing');
      return importOriginal();
    });
    const { CachedPolicySource: Fresh } = await import('../../../src/policyStore/CachedPolicySource.js');
    const store = legacyStore(stored(1, policyText('allow')));
    const source = new Fresh(store, { ttlSeconds: 10 });
    // No policy from a text without its parser: the caller gets the failure, never a decision.
    await expect(source.current(T0)).rejects.toThrow();
    const loaded = await source.current(T0);
    expect(loaded.compiled.evaluate(request)).toMatchObject({ effect: 'allow', rule: 'everyone' });
    expect(loads).toBe(2);
    // Loaded once, kept: a pushed version is parsed without loading it again.
    store.answer = stored(2, policyText('deny'));
    expect((await source.current(at(10))).compiled.evaluate(request).effect).toBe('deny');
    expect(loads).toBe(2);
  });

  it('never loads the parser for versions read from their documents, nor for the empty store', async () => {
    let loads = 0;
    vi.resetModules();
    vi.doMock('../../../src/policy/parse.js', async (importOriginal) => {
      loads += 1;
      if (loads > 1) throw new Error('chunk missing');
      return importOriginal();
    });
    // The test's own fake store needs the parser once, to write documents as a push would.
    const { parsePolicy: parse } = await import('../../../src/policy/parse.js');
    expect(loads).toBe(1);
    const { CachedPolicySource: Fresh } = await import('../../../src/policyStore/CachedPolicySource.js');
    const empty = new Fresh(new FakeStore(undefined), { ttlSeconds: 10 });
    expect((await empty.current(T0)).compiled.evaluate(request)).toMatchObject({ effect: 'deny', reason: NO_POLICY_REASON });
    const store = new FakeStore(stored(1, policyText('allow')));
    const source = new Fresh(store, { ttlSeconds: 10 });
    expect((await source.current(T0)).policy).toEqual(parse(policyText('allow')));
    expect(loads).toBe(1);
  });
});
