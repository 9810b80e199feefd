/**
 * The webhook sink: a POST of the event as JSON, signed so the receiver can tell it
 * came from this deployment and is fresh.
 *
 * Signature: `X-Sentinel-Timestamp: <unix seconds>` and
 * `X-Sentinel-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. A receiver
 * recomputes it over the raw body, compares in constant time, and refuses timestamps
 * more than a few minutes old (a replayed delivery). docs/notifications.md shows it.
 *
 * Delivery: at most 3 attempts, each with a 5 s timeout, 0.5 s then 1 s apart; a 2xx
 * answer is delivered; a 4xx other than 408/429 is not retried (the receiver refuses
 * this event). HTTPS only, except on 127.0.0.1 and localhost (the local stack, tests).
 */

import { createHmac } from 'node:crypto';
import { SetupError } from '../errors.js';

export const SIGNATURE_HEADER = 'x-sentinel-signature';
export const TIMESTAMP_HEADER = 'x-sentinel-timestamp';

export interface WebhookOptions {
  url: string;
  /** The signing secret (read from Secrets Manager or Parameter Store by the composition). */
  secret: () => Promise<string>;
  attempts?: number;
  timeoutMs?: number;
  /** Waits between attempts; tests pass an immediate one. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/** The signature of `body` sent at `timestamp` (unix seconds) with `secret`. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Throws SetupError unless `url` is HTTPS, or HTTP to this machine. */
export function checkWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SetupError('INVALID_CONFIG', 'SENTINEL_WEBHOOK_URL is not a URL');
  }
  const local = parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost' || parsed.hostname === '[::1]';
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && local)) {
    throw new SetupError('INVALID_CONFIG', 'SENTINEL_WEBHOOK_URL must be an https:// URL (http:// only to 127.0.0.1 or localhost)');
  }
  if (parsed.username !== '' || parsed.password !== '') throw new SetupError('INVALID_CONFIG', 'SENTINEL_WEBHOOK_URL must not carry credentials; the signature authenticates the delivery');
  return parsed;
}

/** Delivers one event; resolves when delivered, rejects with the last failure (the caller logs it). */
export function webhookSender(options: WebhookOptions): (body: string) => Promise<void> {
  const url = checkWebhookUrl(options.url);
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 5000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? (() => new Date());
  return async (body) => {
    const secret = await options.secret();
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (attempt > 1) await sleep(500 * 2 ** (attempt - 2));
      const timestamp = Math.floor(now().getTime() / 1000);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signature(secret, timestamp, body) },
          body,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
        // The body is not read: nothing in it matters, and a slow receiver must not hold the function.
        await response.body?.cancel();
        if (response.ok) return;
        last = new Error(`the webhook answered ${response.status}`);
        if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
      } catch (error) {
        last = error;
      }
    }
    throw last;
  };
}
