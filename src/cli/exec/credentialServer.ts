/**
 * The local credential endpoint of `sentinel exec --server`: an ECS-style container
 * credentials server on 127.0.0.1 that the child's AWS SDK calls through
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
 *
 * The SDKs accept a plain-http FULL_URI only on a loopback address (127.0.0.0/8,
 * `localhost`, `::1`) or the ECS/EKS link-local hosts, and send the token verbatim as
 * the `Authorization` header (AWS SDKs and Tools reference guide, "Container credential
 * provider"; `checkUrl` of @aws-sdk/credential-provider-http; botocore's
 * `ContainerMetadataFetcher`). Any local process can connect to a loopback port, so
 * the token is what keeps other users and programs out.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VendedCredentials } from '../../api/contract.js';
import { ApiError } from '../api/types.js';
import { CliError } from '../errors.js';
import { CodedError } from '../../errors.js';
import type { SessionDescription } from './serverSession.js';

/** The one path that serves credentials. */
export const CREDENTIALS_PATH = '/credentials';
/**
 * What the session is (id, table, region): for `--lazy`, whose command starts before
 * the API has named them, so they cannot be in its environment. Everything else is 404.
 */
export const SESSION_PATH = '/session';

/** Random bytes in the bearer token: 256 bits, far beyond guessing. */
const TOKEN_BYTES = 32;

export interface CredentialServerOptions {
  /**
   * The credentials for one request of the child (src/cli/exec/serverSession.ts: from
   * memory, so it answers within the SDKs' fetch timeouts, 1 s for the JavaScript SDK
   * and 2 s for botocore); throws the refusal (an `ApiError`) when there are none to give.
   */
  getCredentials: () => Promise<VendedCredentials>;
  /** What `GET /session` shows (the session id, table and region, once known); absent: that path is 404 too. */
  describeSession?: (() => SessionDescription) | undefined;
  /** 127.0.0.1 port; 0 or absent picks a free one. */
  port?: number | undefined;
}

export interface CredentialServer {
  /** The value for `AWS_CONTAINER_CREDENTIALS_FULL_URI`. */
  url: string;
  /** The value for `AWS_CONTAINER_AUTHORIZATION_TOKEN`. */
  token: string;
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** A new bearer token: 32 random bytes, base64url (43 characters, no padding). */
export function newAuthorizationToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * Compares in constant time: hashing first gives both sides the same length, so not
 * even the token's length leaks through timing.
 */
function sameToken(presented: string | undefined, expected: Buffer): boolean {
  const digest = createHash('sha256').update(presented ?? '').digest();
  return timingSafeEqual(digest, expected) && presented !== undefined;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // Credentials must not sit in any cache between the SDK and us.
    'cache-control': 'no-store',
  });
  response.end(text);
}

/** The status and `{ code, message }` the child's SDK gets when the API refuses or fails. */
function refusal(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof ApiError && error.status !== undefined && error.status >= 400 && error.status <= 599) {
    return { status: error.status, code: error.code, message: error.message };
  }
  // The API could not be reached or answered nonsense: a gateway failure, not the child's fault.
  if (error instanceof CodedError) return { status: 502, code: error.code, message: error.message };
  return { status: 500, code: 'INTERNAL', message: 'sentinel could not get credentials (internal error)' };
}

/** Starts the endpoint on 127.0.0.1 with a fresh random token. */
export async function startCredentialServer(options: CredentialServerOptions): Promise<CredentialServer> {
  const token = newAuthorizationToken();
  const expected = createHash('sha256').update(token).digest();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!sameToken(request.headers.authorization, expected)) {
      send(response, 403, { code: 'FORBIDDEN', message: 'missing or wrong authorization token' });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const describe = options.describeSession;
    if (path !== CREDENTIALS_PATH && (path !== SESSION_PATH || describe === undefined)) {
      send(response, 404, { code: 'NOT_FOUND', message: `credentials are served at ${CREDENTIALS_PATH}` });
      return;
    }
    if (request.method !== 'GET') {
      response.setHeader('allow', 'GET');
      send(response, 405, { code: 'METHOD_NOT_ALLOWED', message: 'use GET' });
      return;
    }
    if (path === SESSION_PATH && describe !== undefined) {
      send(response, 200, describe());
      return;
    }
    try {
      const credentials = await options.getCredentials();
      send(response, 200, {
        AccessKeyId: credentials.accessKeyId,
        SecretAccessKey: credentials.secretAccessKey,
        Token: credentials.sessionToken,
        // The real expiry, never a later one: the SDKs must not use them a moment longer.
        Expiration: credentials.expiration,
      });
    } catch (error) {
      const { status, code, message } = refusal(error);
      send(response, status, { code, message });
    }
  };

  const server = createServer((request, response) => {
    // A bug must not take the whole command down: drop this one connection instead.
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError('SERVER_PORT_IN_USE', `port ${options.port ?? 0} on 127.0.0.1 is already in use: choose another --server-port, or leave it out for a free one`)
          : new CliError('SERVER_START_FAILED', `cannot start the credential server on 127.0.0.1: ${error.message}`, { cause: error }),
      );
    };
    server.once('error', failed);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${CREDENTIALS_PATH}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of the child's SDK would hold close() open.
        server.closeAllConnections();
      }),
  };
}
