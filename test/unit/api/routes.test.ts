/**
 * The route table (src/api/routes.ts) against everything that must agree with it:
 * serverless.yml's httpApi events, the files in functions/, and each function's
 * composition (src/compose).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FUNCTION_NAMES, retryClassOf, routeKey, ROUTES, routesOf } from '../../../src/api/routes.js';
import type { RouteName } from '../../../src/api/routes.js';
import { Logger } from '@aws-lambda-powertools/logger';
import { FUNCTIONS } from '../../../src/compose/index.js';
import { SCHEDULED_FUNCTIONS } from '../../../src/compose/lambda.js';
import { createRuntime } from '../../../src/compose/runtime.js';
import { loadConfig } from '../../../src/config.js';

interface HttpApiEvent {
  httpApi?: { method: string; path: string; authorizer?: { type?: string } };
}
interface ServerlessFunction {
  handler: string;
  events?: Array<HttpApiEvent & { schedule?: { rate?: string } }>;
}

const template = parse(readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8')) as { functions: Record<string, ServerlessFunction> };

describe('the route table', () => {
  it('serverless.yml declares exactly the table\'s functions, each with the table\'s routes as AWS_IAM httpApi events, and the scheduled ones', () => {
    expect(Object.keys(template.functions).sort()).toEqual([...FUNCTION_NAMES, ...SCHEDULED_FUNCTIONS].sort());
    for (const name of SCHEDULED_FUNCTIONS) {
      const fn = template.functions[name];
      expect(fn?.handler, name).toBe(`functions/${name}.handler`);
      // No route: only EventBridge invokes it.
      expect(fn?.events?.map((event) => Object.keys(event)), name).toEqual([['schedule']]);
    }
    expect(template.functions.sweep?.events?.[0]?.schedule?.rate).toBe('rate(5 minutes)');
    for (const name of FUNCTION_NAMES) {
      const fn = template.functions[name];
      expect(fn?.handler, name).toBe(`functions/${name}.handler`);
      const events = (fn?.events ?? []).flatMap((event) => (event.httpApi === undefined ? [] : [event.httpApi]));
      const declared = events.map((event) => [`${event.method} ${event.path}`, event.authorizer?.type]);
      expect(declared.sort(), name).toEqual(routesOf(name).map((route) => [routeKey(ROUTES[route]), 'aws_iam']).sort());
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
  });

  it('admin routes are exactly the policy store, provisioning and revocation routes', () => {
    const admin = (Object.keys(ROUTES) as RouteName[]).filter((name) => ROUTES[name].access === 'admin').sort();
    expect(admin).toEqual(['getPolicy', 'iamPolicy', 'provision', 'provisionStatus', 'putPolicy', 'revokeSession', 'revokeSessions']);
  });
});
