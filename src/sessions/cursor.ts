/**
 * Opaque, authenticated page cursors for session listings and bulk revocations
 * (docs/api.md, Cursors).
 *
 * A cursor carries DynamoDB's LastEvaluatedKey and the parameters of the query it
 * continues (route, table, index, partition value, filters, the caller), serialised
 * as JSON and authenticated with HMAC-SHA256. The key is derived from
 * `SENTINEL_CURSOR_SECRET` when the deployment sets one; otherwise it is random per
 * function instance (made at cold start), so a cursor works only on the instance
 * that made it and any other refuses it cleanly ("list again"). Not encrypted: what
 * it holds (a session id, a user or profile name, a time) is what the page showed.
 */

import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SentinelError } from '../errors.js';

/** What a cursor is bound to: a continuation is refused unless every field is the same. */
export type CursorScope = Record<string, string | number | boolean | null>;

/** Signs and opens cursors with one key. */
export interface CursorCodec {
  seal(scope: CursorScope, key: Record<string, unknown>): string;
  /** The LastEvaluatedKey of a cursor made for `scope`; 400 INVALID_REQUEST for an altered, foreign or mismatched one. */
  open(cursor: string, scope: CursorScope): Record<string, unknown>;
}

const EXPIRED_OR_ALTERED = 'the cursor has expired or was altered: list again';

/** The HMAC key: derived from the deployment's secret (HKDF-SHA256), or 32 random bytes when there is none. */
export function cursorKey(secret: string | undefined): Buffer {
  if (secret === undefined) return randomBytes(32);
  return Buffer.from(hkdfSync('sha256', secret, 'sentinel', 'sentinel/cursor/v1', 32));
}

export function cursorCodec(key: Buffer): CursorCodec {
  const mac = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest();
  return {
    seal(scope, lastKey) {
      const payload = Buffer.from(JSON.stringify({ v: 1, s: scope, k: lastKey })).toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    open(cursor, scope) {
      const [payload, signature, extra] = cursor.split('.');
      if (payload === undefined || signature === undefined || extra !== undefined) throw new SentinelError('INVALID_REQUEST', EXPIRED_OR_ALTERED);
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SentinelError('INVALID_REQUEST', EXPIRED_OR_ALTERED);
      const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { v?: unknown; s?: unknown; k?: unknown };
      if (decoded.v !== 1 || typeof decoded.k !== 'object' || decoded.k === null) throw new SentinelError('INVALID_REQUEST', EXPIRED_OR_ALTERED);
      if (JSON.stringify(decoded.s) !== JSON.stringify(scope)) {
        throw new SentinelError('INVALID_REQUEST', 'the cursor belongs to another listing (other parameters or another caller): send the same parameters, or list again without it');
      }
      return decoded.k as Record<string, unknown>;
    },
  };
}
