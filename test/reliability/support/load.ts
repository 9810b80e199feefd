/**
 * What the load part (test/reliability/load.test.ts) needs around autocannon: requests
 * signed the way API clients sign them, a bounded run that keeps what every answer said,
 * the session items of the local stack's table, the decision lines of the captured log,
 * and a complete scan of those lines for every dev credential a run vended.
 *
 * Signing: autocannon's `setupRequest` is synchronous and the SDK's signer is not, so a
 * {@link RotatingSigner} signs in the background once a second and every request carries
 * the newest signature. The local verifier (src/local/sigv4Verifier.ts) keeps no record
 * of signatures it has seen: like SigV4 at API Gateway, a signature is accepted again
 * until `x-amz-date` leaves the 5-minute skew window, so one signature for the requests
 * of one second is a valid client (every request is still verified in full).
 */

import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import autocannon from 'autocannon';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DEV_ACCESS_KEY_PREFIX, DEV_SECRET_PREFIX, DEV_TOKEN_PREFIX } from '../../../src/local/DevCredentialIssuer.js';

export interface SigningIdentity {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Signs `POST <path>` with a fixed body once a second; {@link headers} is always a signature at most ~1 s old. */
export class RotatingSigner {
  readonly #signer: SignatureV4;
  readonly #target: URL;
  readonly #body: string;
  #headers: Record<string, string> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** How many distinct signatures were made. */
  signatures = 0;

  constructor(target: URL, region: string, identity: SigningIdentity, body: string) {
    this.#target = target;
    this.#body = body;
    this.#signer = new SignatureV4({ service: 'execute-api', region, credentials: identity, sha256: Hash.bind(null, 'sha256') });
  }

  async start(): Promise<void> {
    await this.#sign();
    this.#timer = setInterval(() => void this.#sign(), 1_000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  headers(): Record<string, string> {
    if (this.#headers === undefined) throw new Error('RotatingSigner.start() was not awaited');
    return this.#headers;
  }

  async #sign(): Promise<void> {
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: this.#target.hostname,
      port: Number(this.#target.port),
      path: this.#target.pathname,
      query: {},
      headers: { host: this.#target.host, 'content-type': 'application/json' },
      body: this.#body,
    });
    this.#headers = signed.headers;
    this.signatures++;
  }
}

/** What one answer said, as far as the load part looks at it. */
export interface LoadAnswer {
  status: number;
  /** `session.id` of a 200. */
  sessionId?: string;
  /** The vended access key id, secret and token of a 200. */
  secrets?: [string, string, string];
  /** `error.code` of an error body (API Gateway's own `{message}` bodies have none). */
  code?: string;
  retryAfter?: string;
  /** The body when it could not be read as the contract says (first 200 characters). */
  unreadable?: string;
}

export interface LoadRun {
  result: autocannon.Result;
  answers: LoadAnswer[];
  /** Whether the guard stopped the run before `amount` answers. */
  stoppedByGuard: boolean;
}

export interface LoadOptions {
  url: string;
  signer: RotatingSigner;
  body: string;
  amount: number;
  connections: number;
  /** Per request, seconds: autocannon counts a request without an answer by then as a timeout. */
  timeoutSeconds: number;
  /** The whole run is stopped after this long, whatever is in flight. */
  guardMs: number;
  /** Called after each answer with the number of answers so far. */
  onAnswer?: (answered: number) => void;
}

/** One autocannon run of exactly `amount` requests (spread over the connections), bounded by the guard. */
export function runLoad(options: LoadOptions): Promise<LoadRun> {
  const answers: LoadAnswer[] = [];
  let stoppedByGuard = false;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        body: options.body,
        connections: options.connections,
        amount: options.amount,
        timeout: options.timeoutSeconds,
        requests: [
          {
            setupRequest: (request) => ({ ...request, headers: options.signer.headers() }),
            onResponse: (status, body, _context, headers) => {
              answers.push(readAnswer(status, body, headers));
              options.onAnswer?.(answers.length);
            },
          },
        ],
      },
      (error: unknown, result) => {
        clearTimeout(guard);
        if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve({ result, answers, stoppedByGuard });
      },
    );
    const guard = setTimeout(() => {
      stoppedByGuard = true;
      instance.stop();
    }, options.guardMs);
  });
}

function readAnswer(status: number, body: string, headers: Record<string, string | string[] | undefined> | undefined): LoadAnswer {
  const retryAfter = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'retry-after')?.[1];
  const answer: LoadAnswer = { status, ...(retryAfter === undefined ? {} : { retryAfter: String(retryAfter) }) };
  try {
    const parsed = JSON.parse(body) as {
      credentials?: { accessKeyId?: unknown; secretAccessKey?: unknown; sessionToken?: unknown };
      session?: { id?: unknown } | null;
      error?: { code?: unknown };
    };
    if (status === 200) {
      const { credentials, session } = parsed;
      if (typeof session?.id !== 'string' || typeof credentials?.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string' || typeof credentials.sessionToken !== 'string') {
        return { ...answer, unreadable: body.slice(0, 200) };
      }
      return { ...answer, sessionId: session.id, secrets: [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken] };
    }
    return typeof parsed.error?.code === 'string' ? { ...answer, code: parsed.error.code } : { ...answer, unreadable: body.slice(0, 200) };
  } catch {
    return { ...answer, unreadable: body.slice(0, 200) };
  }
}

/**
 * Resolves once `count()` has not changed for `quietMs` (at most `maxMs`): after a run
 * the guard stopped, requests the stack had already received are still being answered,
 * and would otherwise be counted in the next run.
 */
export async function settled(count: () => number, quietMs = 500, maxMs = 35_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = count();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = count();
    if (now === last || performance.now() > deadline) return;
    last = now;
  }
}

/** How many answers had each status: `{ 200: 19990, 503: 10 }`. */
export function statusCounts(answers: readonly LoadAnswer[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { status } of answers) counts.set(status, (counts.get(status) ?? 0) + 1);
  return counts;
}

/**
 * Every session item of `user` in the stack's `table`, id → status: a paginated Scan
 * (the stack's DynamoDB Local holds only what this file wrote), consistent reads.
 */
export async function sessionItems(endpoint: string, table: string, user: string): Promise<Map<string, string>> {
  const dynamodb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const items = new Map<string, string>();
  try {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({
          TableName: table,
          ConsistentRead: true,
          FilterExpression: '#user = :user',
          ProjectionExpression: 'id, #status',
          ExpressionAttributeNames: { '#user': 'user', '#status': 'status' },
          ExpressionAttributeValues: { ':user': user },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) items.set(String(item['id']), String(item['status']));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  } finally {
    dynamodb.destroy();
  }
  return items;
}

/** A decision line (src/vending/issue.ts) as the captured JSON holds it. */
export interface LoggedDecision {
  user: string;
  profile: string;
  mode: string;
  outcome: string;
  requestId: string;
}

/** The decision lines among captured log lines (message `decision`, at INFO or, under break-glass, WARN). */
export function decisionsIn(lines: readonly string[]): LoggedDecision[] {
  const decisions: LoggedDecision[] = [];
  for (const line of lines) {
    const parsed = JSON.parse(line) as { message?: unknown } & Partial<LoggedDecision>;
    if (parsed.message === 'decision') decisions.push(parsed as LoggedDecision);
  }
  return decisions;
}

const DEV_MARKERS = [DEV_ACCESS_KEY_PREFIX, DEV_SECRET_PREFIX, DEV_TOKEN_PREFIX];

/**
 * A complete scan for dev credentials: every key id, secret and token the dev issuer
 * mints starts with its marker, so a line that holds any of them holds a marker. Lines
 * with a marker are reported (as `marker "ASIA…" in log line N`, never the text);
 * `leakedSecrets` then tells which vended secret it was. Linear in the log size, so all
 * lines can be scanned for all of a run's 60,000 secrets.
 */
export function linesWithDevMarkers(lines: readonly string[]): number[] {
  const found: number[] = [];
  lines.forEach((line, index) => {
    if (DEV_MARKERS.some((marker) => line.includes(marker))) found.push(index);
  });
  return found;
}

/** `count` items of `list`, evenly spread (all of it when shorter). */
export function spread<T>(list: readonly T[], count: number): T[] {
  if (list.length <= count) return [...list];
  const step = list.length / count;
  return Array.from({ length: count }, (_, n) => list[Math.floor(n * step)] as T);
}
