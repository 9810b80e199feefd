/**
 * A TCP proxy on 127.0.0.1 that holds every chunk for `delayMs` before passing it on,
 * each way: the local stack as an API that far away (each request and each answer
 * `delayMs` later), so that what a client does while it waits for an answer shows.
 *
 * A connection to a real API is not usable at once: TCP's handshake takes a round trip
 * before the client may send, and TLS 1.3 one more before the request can go (TLS 1.2
 * two). The local stack speaks plain http on loopback, so `setupRoundTrips` stands in
 * for them: what the client sends is held until that many round trips (2 × `delayMs`
 * each) after it connected, then travels `delayMs` like every other chunk. A client
 * that connects early, before it has its request ready, waits less; one that connects
 * when it sends waits all of it, as it would.
 */
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';

export interface LatencyProxy {
  url: string;
  close(): Promise<void>;
}

export async function latencyProxy(target: URL, delayMs: number, setupRoundTrips = 0): Promise<LatencyProxy> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const usableAt = Date.now() + setupRoundTrips * 2 * delayMs;
    const upstream = connect(Number(target.port), target.hostname);
    const both = [client, upstream];
    for (const socket of both) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => both.forEach((each) => each.destroy()));
    }
    // Each timer passes on the oldest chunk still held, so the bytes keep their order
    // whichever of two timers due at the same moment fires first.
    const relay = (from: Socket, to: Socket, notBefore: number): void => {
      const held: (Buffer | null)[] = [];
      const pass = (): void => {
        const chunk = held.shift();
        if (chunk === null) to.end();
        else if (chunk !== undefined) to.write(chunk);
      };
      const hold = (chunk: Buffer | null): void => {
        held.push(chunk);
        setTimeout(pass, Math.max(0, notBefore - Date.now()) + delayMs);
      };
      from.on('data', (chunk: Buffer) => hold(chunk));
      from.on('end', () => hold(null));
    };
    relay(client, upstream, usableAt);
    relay(upstream, client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A benchmark that fails midway must still exit: the proxy never holds the process open.
  server.unref();
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('latency proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
