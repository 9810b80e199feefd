/**
 * Fakes for the `init` flows: an in-memory Sentinel API that plans and "creates" tables
 * the way the provisioning function answers (schema from src/provisioning/plan.ts,
 * IAM documents from src/provisioning/iamPolicy.ts), streams that record what was
 * written, and a clock that only moves when the flow sleeps.
 */
import { PassThrough, Writable } from 'node:stream';
import type { ProvisionRequest, ProvisionResponse, PutPolicyRequest } from '../../../../src/api/contract.js';
import { ApiError } from '../../../../src/cli/api/types.js';
import type { SentinelApi } from '../../../../src/cli/api/types.js';
import type { InitContext } from '../../../../src/cli/init/context.js';
import type { Ticker } from '../../../../src/cli/init/progress.js';
import { tableIamPolicy } from '../../../../src/provisioning/iamPolicy.js';
import { schemaSummary } from '../../../../src/provisioning/plan.js';
import type { Difference } from '../../../../src/provisioning/types.js';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';

interface FakeTable {
  kind: ProvisionRequest['kind'];
  /** Status polls still answered CREATING. */
  pollsLeft: number;
  drift?: Difference[];
}

function notUsed(): never {
  throw new Error('not used by init');
}

/** The API as an admin sees it; `calls` records every call in order. */
export class FakeApi implements SentinelApi {
  readonly calls: string[] = [];
  readonly tables = new Map<string, FakeTable>();
  /** How many status polls a newly created table stays CREATING. */
  creatingPolls = 2;
  /** When set, every status poll answers CREATING (a table that never gets ready). */
  neverReady = false;
  policy: { text: string; version: number } | undefined;
  readonly pushed: PutPolicyRequest[] = [];
  /** A policy stored by "someone else" just before our push. */
  storeBeforePush: string | undefined;

  constructor(readonly user = 'ops-erin') {}

  existing(table: string, kind: ProvisionRequest['kind'], drift?: Difference[]): this {
    this.tables.set(table, { kind, pollsLeft: 0, ...(drift === undefined ? {} : { drift }) });
    return this;
  }

  private response(status: ProvisionResponse['status'], kind: ProvisionRequest['kind'], table: string, action: ProvisionResponse['plan']['action'], differences: Difference[] = []): ProvisionResponse {
    return {
      status,
      table,
      kind,
      plan: { action, differences, schema: schemaSummary(kind) },
      ...(status === 'READY' ? { arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}` } : {}),
    };
  }

  async provision(body: ProvisionRequest): Promise<ProvisionResponse> {
    const table = body.table ?? `sentinel-${body.kind}`;
    this.calls.push(`provision ${body.kind} ${table}${body.plan === true ? ' plan' : ''}`);
    const live = this.tables.get(table);
    if (body.plan === true) {
      return this.response('PLAN', body.kind, table, live === undefined ? 'create' : live.drift === undefined ? 'none' : 'drift', live?.drift);
    }
    if (live?.drift !== undefined) return this.response('DRIFT', body.kind, table, 'drift', live.drift);
    if (live === undefined) {
      this.tables.set(table, { kind: body.kind, pollsLeft: this.creatingPolls });
      return this.response('CREATING', body.kind, table, 'create');
    }
    return this.response(live.pollsLeft > 0 ? 'CREATING' : 'READY', body.kind, table, 'none');
  }

  async provisionStatus(table: string, kind: string): Promise<ProvisionResponse> {
    this.calls.push(`status ${table}`);
    const live = this.tables.get(table);
    if (live === undefined) throw new ApiError('NOT_FOUND', `table ${table} does not exist`, { status: 404 });
    if (!this.neverReady && live.pollsLeft > 0) live.pollsLeft -= 1;
    const status = this.neverReady || live.pollsLeft > 0 ? 'CREATING' : 'READY';
    return this.response(status, kind as ProvisionRequest['kind'], table, 'none');
  }

  async iamPolicy(kind: string, table: string) {
    this.calls.push(`iam ${kind} ${table}`);
    return tableIamPolicy(kind as ProvisionRequest['kind'], table, { accountId: ACCOUNT, region: REGION });
  }

  async whoami() {
    this.calls.push('whoami');
    return { user: this.user, arn: `arn:aws:iam::${ACCOUNT}:user/${this.user}`, accountId: ACCOUNT, admin: true };
  }

  async getPolicy() {
    this.calls.push('getPolicy');
    if (this.policy === undefined) throw new ApiError('NOT_FOUND', 'no policy stored yet', { status: 404 });
    return { ...this.policy, updatedAt: '2026-01-01T00:00:00Z', updatedBy: 'someone' };
  }

  async putPolicy(body: PutPolicyRequest) {
    this.calls.push(`putPolicy expectedVersion=${body.expectedVersion}`);
    if (this.storeBeforePush !== undefined) {
      this.policy = { text: this.storeBeforePush, version: 1 };
      this.storeBeforePush = undefined;
    }
    if ((this.policy?.version ?? 0) !== body.expectedVersion) throw new ApiError('CONFLICT', 'version mismatch', { status: 409 });
    this.pushed.push(body);
    this.policy = { text: body.text, version: body.expectedVersion + 1 };
    return { version: this.policy.version, updatedAt: '2026-01-01T00:00:00Z' };
  }

  credentials = notUsed;
  profiles = notUsed;
  evaluate = notUsed;
  endSession = notUsed;
  checkSession = notUsed;
  listSessions = notUsed;
  showSession = notUsed;
  revokeSession = notUsed;
  revokeSessions = notUsed;
  createRequest = notUsed;
  listRequests = notUsed;
  showRequest = notUsed;
  approveRequest = notUsed;
  denyRequest = notUsed;
  cancelRequest = notUsed;
  invokeBreakglass = notUsed;
  listBreakglass = notUsed;
  closeBreakglass = notUsed;
}

/** A stream that records what is written (synchronously); `isTTY` as given. */
export function sink(isTTY = false): Writable & { isTTY: boolean; text(): string } {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      written += chunk.toString();
      callback();
    },
  }) as Writable & { isTTY: boolean; text(): string };
  stream.isTTY = isTTY;
  stream.text = () => written;
  return stream;
}

/** stdin: a terminal that will "type" `typed` (ended afterwards), or not a terminal at all. */
export function input(options: { isTTY: boolean; typed?: string }): PassThrough & { isTTY: boolean } {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean };
  stream.isTTY = options.isTTY;
  if (options.typed !== undefined) stream.end(options.typed);
  return stream;
}

export interface Harness {
  context: InitContext;
  stdout: ReturnType<typeof sink>;
  stderr: ReturnType<typeof sink>;
  /** Every sleep the flow asked for, in ms. */
  sleeps: number[];
  /** Spinner redraw callbacks handed to the ticker (terminal only), and whether each was stopped. */
  ticks: { redraw: () => void; stopped: boolean }[];
}

/** A context around `api`: nothing typed on a non-terminal stdin unless told, a clock moved by sleeps. */
export function harness(api: SentinelApi, options: { format?: 'text' | 'json'; stdin?: PassThrough & { isTTY: boolean }; stderrTTY?: boolean } = {}): Harness {
  const stdout = sink();
  const stderr = sink(options.stderrTTY ?? false);
  const sleeps: number[] = [];
  const ticks: Harness['ticks'] = [];
  let now = 1_000_000;
  const ticker: Ticker = (redraw) => {
    const tick = { redraw, stopped: false };
    ticks.push(tick);
    return () => (tick.stopped = true);
  };
  const context: InitContext = {
    api,
    format: options.format ?? 'text',
    stdin: options.stdin ?? input({ isTTY: false }),
    stdout,
    stderr,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    pollIntervalMs: 1_000,
    timeoutMs: 300_000,
    ticker,
  };
  return { context, stdout, stderr, sleeps, ticks };
}
