/**
 * The one HTTP request the API client needs, on node:http/https.
 *
 * Not global `fetch`: Node's fetch (undici) loads lazily on first use and compiles its
 * WebAssembly HTTP parser in V8 background threads, which process exit then waits
 * for — together about 100 ms on every `sentinel exec` and `sentinel credentials`,
 * the CLI's hot paths. The client only needs method, headers, body, a timeout signal
 * and the status, headers and text of the answer.
 *
 * Only the module of the URL's protocol is loaded, when the first request is sent:
 * node:https brings in TLS (a few milliseconds of start-up), which a local stack on
 * plain http never needs.
 */

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
export const nodeTransport: Transport = (url, init) =>
  new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? process.getBuiltinModule('node:https').request : process.getBuiltinModule('node:http').request;
    const request = send(url, { method: init.method, headers: init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) } }, (response) => {
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
      if (signal.aborted) request.destroy(signal.reason as Error);
      else signal.addEventListener('abort', () => request.destroy(signal.reason as Error), { once: true });
    }
    request.on('error', reject);
    request.end(init.body);
  });
