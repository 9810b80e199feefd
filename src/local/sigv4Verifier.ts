/**
 * Verifies SigV4 `Authorization` headers the way API Gateway does for AWS_IAM routes,
 * so the local stack authenticates callers exactly as the deployed API would.
 *
 * The signature is recomputed with @smithy/signature-v4 (the signer the AWS SDK for
 * JavaScript uses), never by a hand-written copy of the algorithm. This module only
 * parses the header, checks the scope and clock, rebuilds the request the client
 * signed (the raw path, the decoded query, exactly the headers it listed) and compares.
 *
 * Canonicalisation, and where it could differ between clients and the signer:
 * - Path: the path as it arrived on the wire (still percent-encoded) is handed to the
 *   signer, which removes `.`/`..`/empty segments and URI-encodes it once more. That is
 *   what botocore and the JS SDK sign for every service but S3 (AWS's `get-utf8` and
 *   `get-slashes-normalized` vectors pass).
 * - Query: each `key=value` is form-decoded (`+` is a space) and handed to the signer,
 *   which encodes it again in RFC 3986 form and sorts. A correctly encoded query (every
 *   AWS SDK's) is unchanged by that. A loosely encoded one is normalised the way API
 *   Gateway does it, so a client that signed `*`, `%7E` or `+` exactly as sent is refused
 *   here as it is there (API Gateway's own "canonical string should have been" replies
 *   show `id+eq+123` → `id%20eq%20123`, and `*` → `%2A`). Malformed `%` escapes are refused.
 * - Headers: only the client's SignedHeaders are given to the signer, with
 *   `signableHeaders` set, so even headers smithy would normally skip (`user-agent`)
 *   count when the client signed them. Values are trimmed and inner whitespace runs
 *   collapsed; duplicate headers must arrive joined with `,` (the local API server does so).
 * - A signed `date` header, presigned (query-string) signatures and `UNSIGNED-PAYLOAD`
 *   are not supported and are refused with a reason saying so.
 *
 * Everything in the Authorization header is the client's choice, so every lookup by a
 * name from it goes through a Map (headers, identities) or a null-prototype object: a
 * SignedHeaders entry or key id such as `constructor` or `__proto__` is just a name
 * that is not there, refused with a reason, never a property of Object.prototype.
 * Whatever the header holds, `verify` answers `{ ok: false, reason }`; it does not throw.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest as SmithyHttpRequest } from '@smithy/types';

/** What the verifier knows about one access key. */
export interface LocalIdentityCredentials {
  secretAccessKey: string;
  /** The caller ARN API Gateway would report (`requestContext.authorizer.iam.userArn`). */
  arn: string;
  accountId: string;
  /** `AIDA…` for users, `AROA…:<session>` for roles. */
  userId: string;
  /** Set for temporary credentials: the request must carry exactly this `x-amz-security-token`. */
  sessionToken?: string;
}

/** The verified caller; never carries the secret. */
export interface VerifiedIdentity {
  accessKeyId: string;
  arn: string;
  accountId: string;
  userId: string;
}

/** An incoming request as the HTTP server received it. */
export interface SignedRequest {
  method: string;
  /** The raw (still percent-encoded) path, without the query. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** Lower-case names; duplicate headers joined with `,`. */
  headers: Record<string, string>;
  body: Buffer;
}

export type VerifyResult = { ok: true; identity: VerifiedIdentity } | { ok: false; reason: string };

export interface SigV4VerifierOptions {
  identities: ReadonlyMap<string, LocalIdentityCredentials>;
  region: string;
  /** The signing name of API Gateway's execute API. */
  service?: string;
  /** How far `x-amz-date` may be from now, either way; API Gateway allows 5 minutes. */
  maxSkewSeconds?: number;
  now?: () => Date;
}

export interface SigV4Verifier {
  /** Resolves to the caller, or to a short reason for the local log (never a secret or the expected signature). */
  verify(request: SignedRequest): Promise<VerifyResult>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;
/** RFC 9110 token characters, lower-case: what a signed header name can be. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** Query parameters that mark a presigned (query-string) signature. */
const PRESIGN_PARAMS = new Set(['x-amz-signature', 'x-amz-credential', 'x-amz-algorithm']);

/** Creates a verifier for the given access keys; see the module comment for the canonical form. */
export function createSigV4Verifier(options: SigV4VerifierOptions): SigV4Verifier {
  const { identities, region } = options;
  const service = options.service ?? 'execute-api';
  const maxSkewMs = (options.maxSkewSeconds ?? 300) * 1000;
  const now = options.now ?? (() => new Date());

  async function verify(request: SignedRequest): Promise<VerifyResult> {
    // Own entries only: a header lookup must never reach Object.prototype.
    const headers = new Map(Object.entries(request.headers));
    const authorization = headers.get('authorization');
    if (authorization === undefined) return refuse('missing Authorization header');

    const auth = parseAuthorization(authorization);
    if ('reason' in auth) return refuse(auth.reason);
    const { accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaders, signature } = auth;

    if (scopeRegion !== region) return refuse(`credential scope region ${quote(scopeRegion)} is not ${region}`);
    if (scopeService !== service) return refuse(`credential scope service ${quote(scopeService)} is not ${service}`);

    const amzDate = headers.get('x-amz-date');
    if (amzDate === undefined) return refuse('missing x-amz-date header');
    const signingDate = parseAmzDate(amzDate);
    if (signingDate === undefined) return refuse(`malformed x-amz-date ${quote(amzDate)}`);
    if (scopeDate !== amzDate.slice(0, 8)) return refuse(`credential scope date ${quote(scopeDate)} does not match x-amz-date`);
    const skew = signingDate.getTime() - now().getTime();
    if (Math.abs(skew) > maxSkewMs) {
      return refuse(`x-amz-date ${amzDate} is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'old' : 'in the future'} (allowed ${maxSkewMs / 1000} s)`);
    }

    for (const required of ['host', 'x-amz-date']) {
      if (!signedHeaders.includes(required)) return refuse(`${required} is not a signed header`);
    }
    if (signedHeaders.includes('date')) return refuse('a signed date header is not supported; sign x-amz-date');
    for (const name of signedHeaders) {
      if (!headers.has(name)) return refuse(`signed header ${quote(name)} is missing from the request`);
    }

    const identity = identities.get(accessKeyId);
    if (identity === undefined) return refuse(`unknown access key ${quote(accessKeyId)}`);

    const token = headers.get('x-amz-security-token');
    if (token !== undefined || identity.sessionToken !== undefined) {
      if (token === undefined) return refuse('missing x-amz-security-token for temporary credentials');
      if (identity.sessionToken === undefined || !equalStrings(token, identity.sessionToken)) return refuse('unknown x-amz-security-token');
      if (!signedHeaders.includes('x-amz-security-token')) return refuse('x-amz-security-token is not a signed header');
    }

    const contentSha = headers.get('x-amz-content-sha256');
    if (contentSha !== undefined) {
      if (!SHA256_HEX.test(contentSha)) return refuse(`x-amz-content-sha256 ${quote(contentSha)} is not accepted (unsigned or streaming payloads are refused)`);
      const actual = createHash('sha256').update(request.body).digest('hex');
      if (contentSha.toLowerCase() !== actual) return refuse('x-amz-content-sha256 does not match the body');
    }

    const query = parseQuery(request.query);
    if (query === undefined) return refuse('malformed percent-encoding in the query string');
    if (Object.keys(query).some((key) => PRESIGN_PARAMS.has(key.toLowerCase()))) return refuse('query-string (presigned) signatures are not supported');
    if (!request.path.startsWith('/')) return refuse('the request path does not start with /');

    const toSign: SmithyHttpRequest = {
      method: request.method.toUpperCase(),
      protocol: 'https:',
      hostname: hostnameOf(headers.get('host') ?? ''),
      path: request.path,
      query,
      headers: signedHeaderValues(signedHeaders, headers),
      body: request.body,
    };
    const signer = new SignatureV4({
      credentials: { accessKeyId, secretAccessKey: identity.secretAccessKey, sessionToken: identity.sessionToken },
      region,
      service,
      sha256: Hash.bind(null, 'sha256'),
      // The client decides whether x-amz-content-sha256 is sent; never add it.
      applyChecksum: false,
      uriEscapePath: true,
    });
    let signed: SmithyHttpRequest;
    try {
      signed = await signer.sign(toSign, { signingDate, signableHeaders: new Set(signedHeaders) });
    } catch (error) {
      // Fail closed: a request the signer cannot canonicalise is a refusal (403), not a 500.
      return refuse(`the request cannot be put in canonical form (${error instanceof Error ? error.message : String(error)})`);
    }
    const expected = /SignedHeaders=([^,]*), Signature=([0-9a-f]{64})$/.exec(String(signed.headers['authorization']));
    if (expected?.[1] !== signedHeaders.join(';')) {
      // The client's list is unsorted, upper-case, or names a header the signer always regenerates.
      return refuse('SignedHeaders is not in canonical form (lower-case, sorted, no authorization/date)');
    }
    if (!equalStrings(signature, expected[2] ?? '')) return refuse(`signature mismatch for access key ${accessKeyId}`);

    return { ok: true, identity: { accessKeyId, arn: identity.arn, accountId: identity.accountId, userId: identity.userId } };
  }

  return { verify };
}

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  signedHeaders: string[];
  signature: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request, SignedHeaders=a;b, Signature=hex` */
function parseAuthorization(value: string): ParsedAuthorization | { reason: string } {
  const space = value.indexOf(' ');
  const algorithm = space === -1 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) return { reason: `unsupported signing algorithm ${quote(algorithm)}` };

  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const trimmed = part.trim();
    const eq = trimmed.indexOf('=');
    if (eq <= 0) return { reason: 'malformed Authorization header' };
    const key = trimmed.slice(0, eq);
    if (fields.has(key)) return { reason: `malformed Authorization header (${quote(key)} given twice)` };
    fields.set(key, trimmed.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaderList = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaderList === undefined || signature === undefined || fields.size !== 3) {
    return { reason: 'malformed Authorization header (needs exactly Credential, SignedHeaders and Signature)' };
  }

  const scope = credential.split('/');
  const [accessKeyId = '', scopeDate = '', scopeRegion = '', scopeService = '', terminator = ''] = scope;
  if (scope.length !== 5 || accessKeyId === '' || !/^\d{8}$/.test(scopeDate) || terminator !== 'aws4_request') {
    return { reason: 'malformed credential scope (expected AKID/yyyymmdd/region/service/aws4_request)' };
  }
  const signedHeaders = signedHeaderList.split(';');
  if (signedHeaders.some((name) => !HEADER_NAME.test(name))) return { reason: 'malformed SignedHeaders' };
  if (!SIGNATURE.test(signature)) return { reason: 'malformed Signature (expected 64 lower-case hex digits)' };
  return { accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaders, signature };
}

/**
 * The signed headers with their values, in a null-prototype object (the shape the
 * signer takes), so a header really named `__proto__` or `constructor` is an ordinary entry.
 */
function signedHeaderValues(names: readonly string[], headers: ReadonlyMap<string, string>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const name of names) out[name] = headers.get(name) ?? '';
  return out;
}

function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 20250230 over into March; such a date is malformed, not a different day.
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '') === value ? date : undefined;
}

/** Decoded key → value(s); `undefined` when a `%` escape is malformed. */
function parseQuery(raw: string): Record<string, string | string[]> | undefined {
  const query: Record<string, string | string[]> = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = formDecode(eq === -1 ? pair : pair.slice(0, eq));
      value = eq === -1 ? '' : formDecode(pair.slice(eq + 1));
    } catch {
      return undefined;
    }
    const existing = Object.hasOwn(query, key) ? query[key] : undefined;
    if (existing === undefined) {
      // defineProperty: a key named __proto__ must stay an ordinary parameter.
      Object.defineProperty(query, key, { value, enumerable: true, writable: true, configurable: true });
    } else if (Array.isArray(existing)) {
      existing.push(value);
    } else {
      query[key] = [existing, value];
    }
  }
  return query;
}

function formDecode(component: string): string {
  return decodeURIComponent(component.replaceAll('+', ' '));
}

function hostnameOf(host: string): string {
  return host.replace(/:\d+$/, '') || 'localhost';
}

/** Constant-time comparison; length differences are not secret (both are public formats). */
function equalStrings(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Client-supplied text in a log line: quoted, printable, bounded. */
function quote(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 64 ? `${printable.slice(0, 64)}…` : printable);
}

function refuse(reason: string): VerifyResult {
  return { ok: false, reason };
}
