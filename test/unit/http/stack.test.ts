import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { httpHandler } from '../../../src/http/handler.js';
import type { RouteHandler } from '../../../src/http/route.js';

const event = {
  version: '2.0',
  routeKey: 'GET /v1/boom',
  rawPath: '/v1/boom',
  rawQueryString: '',
  headers: {},
  isBase64Encoded: false,
  requestContext: {
    accountId: '000000000000',
    requestId: 'req-9',
    authorizer: { iam: { accountId: '000000000000', userArn: 'arn:aws:iam::000000000000:user/alice', userId: 'AIDA', accessKey: 'AKIA', principalOrgId: null, cognitoIdentity: null, callerId: 'AIDA' } },
  },
} as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
const context = { awsRequestId: 'lambda-9', functionName: 'f' } as unknown as Context;

describe('the HTTP stack', () => {
  it('turns an unexpected error into a 500 INTERNAL without its text, and logs the detail', async () => {
    const logger = new Logger({ serviceName: 'test' });
    const errors: unknown[] = [];
    vi.spyOn(logger, 'error').mockImplementation((...args: unknown[]) => void errors.push(args));
    const route: RouteHandler<'whoami'> = async () => {
      throw new TypeError('cannot read properties of undefined (secret detail)');
    };
    const handler = httpHandler({ logger, identity: { ownAccountId: '000000000000', identityRolePatterns: [], allowedAccounts: ['000000000000'], allowedOrganizations: [], identityRoles: [], identityRoleLookup: false }, identityRoles: { isIdentityRole: async () => false }, clock: { now: () => new Date() } }, 'whoami', route);
    const response = await handler(event, context);
    expect(response).toEqual({
      statusCode: 500,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error: the request id identifies it in the logs', requestId: 'req-9' } }),
    });
    expect(errors).toEqual([['request failed', { route: 'whoami', code: 'INTERNAL', error: expect.objectContaining({ message: 'cannot read properties of undefined (secret detail)' }) }]]);
  });

  it('gives a route the caller from the authorizer context and its plain input', async () => {
    const seen: unknown[] = [];
    const route: RouteHandler<'whoami'> = async (input) => {
      seen.push(input);
      return { status: 201, body: { user: 'alice', arn: 'x', accountId: '000000000000', admin: false } };
    };
    const now = new Date('2026-11-18T10:00:00Z');
    const handler = httpHandler({ logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }), identity: { ownAccountId: '000000000000', identityRolePatterns: [], allowedAccounts: ['000000000000'], allowedOrganizations: [], identityRoles: [], identityRoleLookup: false }, identityRoles: { isIdentityRole: async () => false }, clock: { now: () => now } }, 'whoami', route);
    const response = await handler(event, context);
    expect(response).toEqual({ statusCode: 201, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: '{"user":"alice","arn":"x","accountId":"000000000000","admin":false}' });
    expect(seen).toEqual([{ body: {}, path: {}, query: {}, caller: { user: 'iam:alice', arn: 'arn:aws:iam::000000000000:user/alice', accountId: '000000000000', kind: 'iam-user', principal: '000000000000:user/alice' }, requestId: 'req-9', receivedAt: now }]);
  });
});
