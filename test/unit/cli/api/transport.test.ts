/**
 * nodeTransport against a real server on 127.0.0.1: the request as sent, the status,
 * headers and text of the answer, and how it fails (a timeout, a refused connection).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeTransport } from '../../../../src/cli/api/transport.js';

const servers: ReturnType<typeof createServer>[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
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
