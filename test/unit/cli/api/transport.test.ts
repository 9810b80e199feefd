/**
 * nodeTransport against a real server on 127.0.0.1: the request as sent, the status,
 * headers and text of the answer, and how it fails (a timeout, a refused connection).
 * earlyConnectingTransport: its first request goes on the connection it opened at once,
 * when that is still usable, and on a new one otherwise; over TLS, with the server name
 * and the certificate checks of node:https.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { EARLY_CONNECTION_MAX_IDLE_MS, earlyConnectingTransport, nodeTransport } from '../../../../src/cli/api/transport.js';
import { selfSignedCertificate } from '../../../support/tls.js';

const servers: { close(callback: (error?: Error) => void): unknown }[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** A server that answers every request when `release` is called; `received` lists the bodies it has read. */
async function holdingServer(): Promise<{ url: URL; received: string[]; release: () => void }> {
  const received: string[] = [];
  const waiting: (() => void)[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push(body);
      waiting.push(() => response.writeHead(200, { 'content-type': 'application/json', 'x-probe': 'a' }).end('{"ok":true}'));
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/v1/credentials`), received, release: () => waiting.splice(0).forEach((answer) => answer()) };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

describe('nodeTransport', () => {
  it('sends the request and returns status, headers and text', async () => {
    const server = await holdingServer();
    const answer = nodeTransport(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"profile":"dev"}' });
    await until(() => server.received.length === 1);
    server.release();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.headers.get('X-Probe')).toBe('a');
    expect(response.headers.get('x-missing')).toBeNull();
    expect(await response.text()).toBe('{"ok":true}');
    expect(server.received).toEqual(['{"profile":"dev"}']);
  });
  it('rejects with the signal\'s reason when the answer does not come in time, and with the code of a refused connection', async () => {
    const server = await holdingServer();
    await expect(nodeTransport(server.url, { method: 'GET', headers: {}, signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const { port } = server.url;
    await new Promise((resolve) => servers.pop()?.close(resolve));
    await expect(nodeTransport(new URL(`http://127.0.0.1:${port}/`), { method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

/**
 * A server that answers every request at once with the number of the connection it came
 * on (1 for the first the server accepted); `connections` are the sockets in the order
 * accepted, `closed` says which of them have closed.
 */
async function countingServer(onConnection: (socket: Socket, number: number) => void = () => undefined): Promise<{ server: Server; url: URL; connections: Socket[]; closed: Set<number> }> {
  const connections: Socket[] = [];
  const closed = new Set<number>();
  const server = createServer((request: IncomingMessage, response) => {
    request.resume();
    request.on('end', () => response.end(String(connections.indexOf(request.socket) + 1)));
  });
  server.on('connection', (socket: Socket) => {
    connections.push(socket);
    const number = connections.length;
    socket.on('close', () => closed.add(number));
    onConnection(socket, number);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/whoami`), connections, closed };
}

async function answerOf(response: Promise<{ status: number; text(): Promise<string> }>): Promise<string> {
  const answer = await response;
  expect(answer.status).toBe(200);
  return answer.text();
}

describe('earlyConnectingTransport', () => {
  it('opens its connection before any request, sends the first request on it and later ones on their own', async () => {
    const server = await countingServer();
    const send = earlyConnectingTransport(server.url);
    await until(() => server.connections.length === 1);
    expect(await answerOf(send(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))).toBe('1');
    expect(await answerOf(send(server.url, { method: 'GET', headers: {} }))).toBe('2');
    expect(server.connections).toHaveLength(2);
  });

  it('opens a new connection when the server has closed the early one', async () => {
    const server = await countingServer((socket, number) => {
      if (number === 1) socket.destroy();
    });
    const send = earlyConnectingTransport(server.url);
    await until(() => server.closed.has(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await answerOf(send(server.url, { method: 'GET', headers: {} }))).toBe('2');
  });

  it('closes an early connection older than its limit, or opened to another origin, and sends on a new one', async () => {
    const server = await countingServer();
    let now = 1_000;
    const send = earlyConnectingTransport(server.url, () => now);
    await until(() => server.connections.length === 1);
    now += EARLY_CONNECTION_MAX_IDLE_MS + 1;
    expect(await answerOf(send(server.url, { method: 'GET', headers: {} }))).toBe('2');
    await until(() => server.closed.has(1));

    const other = await countingServer();
    const sendElsewhere = earlyConnectingTransport(server.url);
    await until(() => server.connections.length === 3);
    expect(await answerOf(sendElsewhere(other.url, { method: 'GET', headers: {} }))).toBe('1');
    await until(() => server.closed.has(3));
  });

  it('does not report a failed early connection: the request opens its own', async () => {
    // A port nothing listens on while the early connection is refused, listened on again before the request.
    const probe = await countingServer();
    const { port } = probe.url;
    await new Promise((resolve) => servers.pop()?.close(() => resolve(undefined)));
    const url = new URL(`http://127.0.0.1:${port}/v1/whoami`);
    const send = earlyConnectingTransport(url);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.end('late'));
    });
    servers.push(server);
    server.listen(Number(port), '127.0.0.1');
    await once(server, 'listening');
    expect(await answerOf(send(url, { method: 'GET', headers: {} }))).toBe('late');
  });

  it('reports the failure of the early connection a request was sent on, and the timeout of one that does not answer', async () => {
    const server = await countingServer((socket) => socket.on('data', () => socket.destroy()));
    const send = earlyConnectingTransport(server.url);
    await expect(send(server.url, { method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(server.connections).toHaveLength(1);

    // A server that reads and never answers: the timeout ends the attempt and closes its connection.
    const accepted: Socket[] = [];
    let closed = 0;
    const silent = createNetServer((socket) => {
      accepted.push(socket);
      socket.resume().on('close', () => (closed += 1));
    });
    servers.push(silent);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentUrl = new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1/whoami`);
    const sendToSilent = earlyConnectingTransport(silentUrl);
    await expect(sendToSilent(silentUrl, { method: 'GET', headers: {}, signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
    await until(() => closed === 1);
    expect(accepted).toHaveLength(1);
  });

  it('over TLS, names the host by SNI (never an address) and refuses a certificate it does not trust before anything is sent', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sentinel-transport-'));
    try {
      const { cert, key } = await selfSignedCertificate(dir);
      const serverNames: string[] = [];
      let handshakes = 0;
      const received: Buffer[] = [];
      const server = createTlsServer(
        {
          cert,
          key,
          SNICallback: (name, answer) => {
            serverNames.push(name);
            answer(null);
          },
        },
        (socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)),
      );
      server.on('connection', (socket: Socket) => {
        handshakes += 1;
        socket.on('error', () => undefined);
      });
      server.on('tlsClientError', () => undefined);
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;

      for (const host of ['localhost', '127.0.0.1']) {
        const url = new URL(`https://${host}:${port}/v1/credentials`);
        // Sent at once: the request meets the early connection in its handshake.
        const send = earlyConnectingTransport(url);
        await expect(send(url, { method: 'POST', headers: {}, body: '{"profile":"dev"}' })).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      }
      // Each request met its early connection: one connection per host name, SNI only for the name.
      expect(handshakes).toBe(2);
      expect(serverNames).toEqual(['localhost']);
      expect(received).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
