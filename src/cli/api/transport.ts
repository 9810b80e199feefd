/**
 * The one HTTP request the API client needs, on node:http/https.
 *
 * Not global `fetch`: Node's fetch (undici) loads lazily on first use and compiles its
 * WebAssembly HTTP parser in V8 background threads, which process exit then waits
 * for — together about 100 ms on every `sentinel exec` and `sentinel credentials`,
 * the CLI's hot paths. The client only needs method, headers, body, a timeout signal
 * and the status, headers and text of the answer.
 *
 * Only the modules of the URL's protocol are loaded, when the first connection is
 * opened: node:https brings in TLS (a few milliseconds of start-up), which a local
 * stack on plain http never needs.
 */

import type { Socket } from 'node:net';

export interface TransportInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** The part of a fetch `Response` the client reads. */
export interface TransportResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** Sends one request; global `fetch` satisfies this type too (tests inject it). */
export type Transport = (url: URL, init: TransportInit) => Promise<TransportResponse>;

/**
 * One request, no redirects followed. Network failures reject with Node's error (its
 * `code`, e.g. ECONNREFUSED); an aborted signal rejects with the signal's reason
 * (a `TimeoutError` for `AbortSignal.timeout`).
 */
export const nodeTransport: Transport = (url, init) => send(url, init);

/** The longest an early connection waits for its request; after that a new one is opened (a server may have dropped it). */
export const EARLY_CONNECTION_MAX_IDLE_MS = 5_000;

/**
 * {@link nodeTransport}, with the connection of its first request opened now.
 *
 * A client is built when a command is about to call the API, and then spends 20–30 ms
 * of CPU before the request is ready: the request schema, the AWS SDK's credential
 * chain reading the shared files, signing. A deployed API's connection costs round
 * trips before the request can go (DNS, TCP, TLS): opened now, they pass during that
 * work instead of after it. The connection is the one `node:https` would open (same
 * host, port, server name and certificate checks), used by the first request to
 * `base`'s origin if it is still open and younger than
 * {@link EARLY_CONNECTION_MAX_IDLE_MS}; otherwise it is closed and the request opens
 * its own, as every later request does. A failure of the early connection is not
 * reported by itself: the request it was for then tries its own connection and
 * reports that one's failure. Until a request takes it, the connection does not keep
 * the process alive.
 */
export function earlyConnectingTransport(base: URL, now: () => number = Date.now): Transport {
  let early: EarlyConnection | undefined = openEarly(base, now());
  return (url, init) => {
    const taken = early;
    early = undefined;
    if (taken === undefined) return send(url, init);
    // Destroyed once it failed or closed; readableEnded once the server closed its side.
    const open = !taken.socket.destroyed && !taken.socket.readableEnded;
    if (url.origin !== base.origin || !open || now() - taken.openedAt > EARLY_CONNECTION_MAX_IDLE_MS) {
      taken.socket.destroy();
      return send(url, init);
    }
    return send(url, init, () => taken.socket.ref());
  };
}

interface EarlyConnection {
  socket: Socket;
  openedAt: number;
}

function openEarly(base: URL, openedAt: number): EarlyConnection {
  // URL keeps an IPv6 address in brackets; the socket wants it without.
  const host = base.hostname.replace(/^\[(.*)\]$/, '$1');
  const https = base.protocol === 'https:';
  const port = base.port === '' ? (https ? 443 : 80) : Number(base.port);
  // What node:https passes to tls.connect: SNI with the host name, never with an address;
  // the certificate is checked against the host either way.
  const named = process.getBuiltinModule('node:net').isIP(host) === 0;
  const socket: Socket = https
    ? process.getBuiltinModule('node:tls').connect({ host, port, ...(named ? { servername: host } : {}) })
    : process.getBuiltinModule('node:net').connect({ host, port });
  socket.setNoDelay(true);
  socket.unref();
  // Without a listener an error would be thrown; the request that takes the socket
  // adds its own, which is where a failure is reported.
  socket.on('error', () => undefined);
  return { socket, openedAt };
}

function send(url: URL, init: TransportInit, connection?: () => Socket): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? process.getBuiltinModule('node:https').request : process.getBuiltinModule('node:http').request;
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const sent = request(url, { method: init.method, headers, ...(connection === undefined ? {} : { createConnection: connection }) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          headers: {
            get: (name) => {
              const value = response.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
            },
          },
          text: () => Promise.resolve(text),
        });
      });
    });
    const signal = init.signal;
    if (signal !== undefined) {
      if (signal.aborted) sent.destroy(signal.reason as Error);
      else signal.addEventListener('abort', () => sent.destroy(signal.reason as Error), { once: true });
    }
    sent.on('error', reject);
    sent.end(init.body);
  });
}
