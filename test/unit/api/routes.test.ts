/**
 * The route table (src/api/routes.ts) against everything that must agree with it:
 * the functions serverless.yml deploys (src/deploy/template.ts), the files in functions/, and each function's
 * composition (src/compose).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FUNCTION_NAMES, retryClassOf, ROUTE_TABLE, routeKey, ROUTES, routesOf } from '../../../src/api/routes.js';
import type { RouteName } from '../../../src/api/routes.js';
import { errorBodySchema, RESPONSE_SCHEMAS } from '../../../src/api/responses.js';
import { errorBody, RESPONSES } from '../../../src/api/responseSchemas.js';
import { retryClassOf as tableRetryClassOf } from '../../../src/api/routeTable.js';
import { credentialsRequestSchema, listSessionsQuerySchema, provisionStatusQuerySchema } from '../../../src/api/schemas.js';
import { Logger } from '@aws-lambda-powertools/logger';
import { FUNCTIONS } from '../../../src/compose/index.js';
import { SCHEDULED_FUNCTIONS } from '../../../src/compose/lambda.js';
import { functionsSection, settingsFromParams } from '../../../src/deploy/template.js';
import { createRuntime } from '../../../src/compose/runtime.js';
import { loadConfig } from '../../../src/config.js';

interface RouteEvent {
  httpApi?: { method: string; path: string; authorizer?: { type?: string } };
  http?: { method: string; path: string; authorizer?: string };
}
interface ServerlessFunction {
  handler: string;
  events?: Array<RouteEvent & { schedule?: { rate?: string } }>;
}

const serverless = parse(readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8')) as { functions: unknown };

function functionsOf(api: 'http' | 'rest'): Record<string, ServerlessFunction> {
  const params = { tablePrefix: 'sentinel-', assumableRoles: 'arn:aws:iam::*:role/sentinel-*', revocableRoles: 'sentinel-*', api, allowedOrganizations: 'o-abcdefghij' };
  return functionsSection(settingsFromParams('test', params)) as Record<string, ServerlessFunction>;
}

describe('the route table', () => {
  it('serverless.yml takes its functions from the generator (src/deploy/template.ts), which derives them from the table', () => {
    expect(serverless.functions).toBe('${file(./deploy/serverless.cjs):functions}');
  });

  it.each([['http'], ['rest']] as const)('the %s API: exactly the table\'s functions, each with its routes as AWS_IAM events, and the scheduled ones', (api) => {
    const functions = functionsOf(api);
    expect(Object.keys(functions).sort()).toEqual([...FUNCTION_NAMES, ...SCHEDULED_FUNCTIONS].sort());
    for (const name of SCHEDULED_FUNCTIONS) {
      const fn = functions[name];
      expect(fn?.handler, name).toBe(`functions/${name}.handler`);
      // No route: only EventBridge invokes it.
      expect(fn?.events?.map((event) => Object.keys(event)), name).toEqual([['schedule']]);
    }
    expect(functions.sweep?.events?.[0]?.schedule?.rate).toBe('rate(5 minutes)');
    for (const name of FUNCTION_NAMES) {
      const fn = functions[name];
      expect(fn?.handler, name).toBe(`functions/${name}.handler`);
      const declared = (fn?.events ?? []).map((event) =>
        api === 'http'
          ? [`${event.httpApi?.method} ${event.httpApi?.path}`, event.httpApi?.authorizer?.type, Object.keys(event)]
          : [`${event.http?.method.toUpperCase()} ${event.http?.path}`, event.http?.authorizer, Object.keys(event)],
      );
      const kind = api === 'http' ? 'httpApi' : 'http';
      expect(declared.sort(), name).toEqual(routesOf(name).map((route) => [routeKey(ROUTES[route]), 'aws_iam', [kind]]).sort());
    }
  });

  it('functions/ holds one entry per function of the table, one per scheduled function, and nothing else', () => {
    const entries = readdirSync(new URL('../../../functions/', import.meta.url)).filter((file) => file.endsWith('.ts'));
    expect(entries.sort()).toEqual([...FUNCTION_NAMES, ...SCHEDULED_FUNCTIONS].map((name) => `${name}.ts`).sort());
    for (const name of SCHEDULED_FUNCTIONS) {
      expect(readFileSync(new URL(`../../../functions/${name}.ts`, import.meta.url), 'utf8'), name).toContain(`scheduledHandler('${name}', `);
    }
    for (const name of FUNCTION_NAMES) {
      const source = readFileSync(new URL(`../../../functions/${name}.ts`, import.meta.url), 'utf8');
      // The entry composes its own function: the name it passes is its file's.
      expect(source, name).toContain(`lambdaHandler('${name}', `);
    }
  });

  it('every function composes a handler for each route the table gives it, and for no other', () => {
    // Building clients and adapters sends nothing: the composition can run offline.
    const runtime = createRuntime(loadConfig({ AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: '111122223333' }), { logger: new Logger({ logLevel: 'SILENT' }) });
    expect(Object.keys(FUNCTIONS).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const name of FUNCTION_NAMES) {
      const composed = FUNCTIONS[name](runtime);
      const routes = composed.routes as Record<string, unknown>;
      expect(Object.keys(routes).sort(), name).toEqual(routesOf(name).sort());
      for (const handler of Object.values(routes)) expect(typeof handler, name).toBe('function');
      // The admin check comes with exactly the functions that serve an admin route.
      expect(composed.admins !== undefined, name).toBe(routesOf(name).some((route) => ROUTES[route].access === 'admin'));
    }
  });

  it('names every route once, with a unique route key and an absolute path', () => {
    const keys = (Object.keys(ROUTES) as RouteName[]).map((name) => routeKey(ROUTES[name]));
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^(GET|POST|PUT) \/v1\//);
  });

  it('retry classes: only POST /v1/credentials issues; a provisioning plan is a read, a create a write', () => {
    const issuing = (Object.keys(ROUTES) as RouteName[]).filter((name) => ROUTES[name].retry === 'issue');
    expect(issuing).toEqual(['credentials']);
    expect(retryClassOf('provision', { kind: 'sessions', plan: true })).toBe('read');
    expect(retryClassOf('provision', { kind: 'sessions' })).toBe('write');
    expect(retryClassOf('whoami', undefined)).toBe('read');
    // What the CLI's client uses: the table's own, which src/api/routes.ts re-exports.
    expect(tableRetryClassOf).toBe(retryClassOf);
  });

  it('each route\'s schemas are built once and shared: the table\'s (what a function builds), RESPONSES\' (what the CLI\'s client builds), ROUTES\', src/api/schemas.ts\' and src/api/responses.ts\' are the same objects', () => {
    expect(Object.keys(ROUTES)).toEqual(Object.keys(ROUTE_TABLE));
    for (const name of Object.keys(ROUTE_TABLE) as RouteName[]) {
      const { body, query } = ROUTE_TABLE[name];
      expect(ROUTES[name].body, name).toBe(body === null ? null : body());
      expect(ROUTES[name].query, name).toBe(query === null ? null : query());
      expect(ROUTES[name].response, name).toBe(RESPONSE_SCHEMAS[name]);
    }
    expect(Object.keys(RESPONSES)).toEqual(Object.keys(ROUTE_TABLE));
    for (const name of Object.keys(ROUTE_TABLE) as RouteName[]) expect(RESPONSES[name](), name).toBe(RESPONSE_SCHEMAS[name]);
    expect(errorBody()).toBe(errorBodySchema);
    expect(ROUTES.credentials.body).toBe(credentialsRequestSchema);
    expect(ROUTES.listSessions.query).toBe(listSessionsQuerySchema);
    expect(ROUTES.provisionStatus.query).toBe(provisionStatusQuerySchema);
  });

  it('admin routes are exactly the policy store, provisioning and revocation routes', () => {
    const admin = (Object.keys(ROUTES) as RouteName[]).filter((name) => ROUTES[name].access === 'admin').sort();
    expect(admin).toEqual(['getPolicy', 'iamPolicy', 'provision', 'provisionStatus', 'putPolicy', 'revokeSession', 'revokeSessions']);
  });
});
