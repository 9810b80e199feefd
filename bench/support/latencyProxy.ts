/**
 * A TCP proxy on 127.0.0.1 that holds every chunk for `delayMs` before passing it on,
 * each way: the local stack as an API that far away (each request and each answer
 * `delayMs` later), so that what a client does while it waits for an answer shows. It
 * models the distance only; a real API also costs its connection set-up (TCP, TLS).
 */
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';

export interface LatencyProxy {
  url: string;
  close(): Promise<void>;
}

export async function latencyProxy(target: URL, delayMs: number): Promise<LatencyProxy> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const both = [client, upstream];
    for (const socket of both) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => both.forEach((each) => each.destroy()));
    }
    // Timers of the same delay fire in the order they were set: the bytes keep their order.
    const relay = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => setTimeout(() => to.write(chunk), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
    };
    relay(client, upstream);
    relay(upstream, client);
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
