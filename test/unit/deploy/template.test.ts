/**
 * The deployment generator (src/deploy/template.ts): parameters in, functions, roles,
 * alarms and the REST resource policy out. The packaged template is checked in
 * test/e2e/package.test.ts; what each role allows against what the code calls, in
 * test/integration/permissions.test.ts.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { functionPermissions } from '../../../src/deploy/permissions.js';
import { apiGatewaySection, DEPLOYED_FUNCTIONS, functionsSection, resourcesSection, roleStatements, settingsFromParams } from '../../../src/deploy/template.js';

const DEFAULTS = { tablePrefix: 'sentinel-', configTable: 'sentinel-config', assumableRoles: 'arn:aws:iam::*:role/sentinel-*', revocableRoles: 'sentinel-*' };

const actionsOf = (statements: ReturnType<typeof roleStatements>[keyof ReturnType<typeof roleStatements>]) => statements.flatMap((statement) => statement.Action);

describe('settingsFromParams', () => {
  it('reads lists, defaults and the API kind', () => {
    const settings = settingsFromParams('prod', { ...DEFAULTS, assumableRoles: ' arn:aws:iam::444455556666:role/sentinel-* , arn:aws:iam::777788889999:role/sentinel-* ', allowedOrganizations: 'o-abcdefghij' });
    expect(settings).toMatchObject({
      stage: 'prod',
      api: 'http',
      configTable: 'sentinel-config',
      requestsTable: 'sentinel-requests',
      breakglassTable: 'sentinel-breakglass',
      assumableRoles: ['arn:aws:iam::444455556666:role/sentinel-*', 'arn:aws:iam::777788889999:role/sentinel-*'],
      identityRoleLookup: true,
      allowedOrganizations: ['o-abcdefghij'],
    });
    expect(settings.snsTopicArn).toBeUndefined();
  });

  it('refuses what would deploy something other than meant', () => {
    expect(() => settingsFromParams('prod', { ...DEFAULTS, api: 'websocket' })).toThrow('parameter api must be "http" or "rest", not "websocket"');
    expect(() => settingsFromParams('prod', { ...DEFAULTS, assumableRoles: '' })).toThrow('assumableRoles must name at least one role ARN pattern');
    expect(() => settingsFromParams('prod', { ...DEFAULTS, api: 'rest' })).toThrow('set allowedOrganizations');
    expect(() => settingsFromParams('prod/x', DEFAULTS)).toThrow('must be letters, digits and hyphens');
    // sentinel-<stage>-<region>-revokeSessions must fit IAM's 64 characters.
    expect(settingsFromParams('s'.repeat(30), DEFAULTS, 'eu-west-1').stage).toHaveLength(30);
    expect(() => settingsFromParams('s'.repeat(31), DEFAULTS, 'eu-west-1')).toThrow(`would exceed IAM's 64 characters`);
    expect(() => settingsFromParams('prod', { ...DEFAULTS, snsTopicArn: { Ref: 'Topic' } })).toThrow('parameter snsTopicArn must be a string');
  });
});

describe('the roles', () => {
  it('every statement of every function has a Sid unique within its role and a reason', () => {
    const permissions = functionPermissions({ identityRoleLookup: true, snsTopicArn: 'arn:aws:sns:us-east-1:1:t', webhookSecretArn: 'arn:aws:ssm:us-east-1:1:parameter/sentinel/hook' });
    expect(Object.keys(permissions).sort()).toEqual([...DEPLOYED_FUNCTIONS].sort());
    for (const [name, statements] of Object.entries(permissions)) {
      const sids = statements.map((statement) => statement.sid);
      expect(new Set(sids).size, name).toBe(sids.length);
      for (const statement of statements) {
        expect(statement.sid, name).toMatch(/^[A-Za-z0-9]+$/);
        expect(statement.why.length, `${name} ${statement.sid}`).toBeGreaterThan(40);
        expect(statement.actions.length, `${name} ${statement.sid}`).toBeGreaterThan(0);
      }
    }
  });

  it('grants the Identity Center lookup only while it is on, and never to the sweep, which has no caller', () => {
    const on = roleStatements(settingsFromParams('t', DEFAULTS));
    const off = roleStatements(settingsFromParams('t', { ...DEFAULTS, identityRoleLookup: 'none' }));
    for (const name of DEPLOYED_FUNCTIONS) {
      expect(actionsOf(on[name]).includes('iam:GetRole'), name).toBe(name !== 'sweep');
      expect(actionsOf(off[name]), name).not.toContain('iam:GetRole');
    }
  });

  it('notifies only when configured: publish to exactly the topic, read exactly the secret or parameter', () => {
    const none = roleStatements(settingsFromParams('t', DEFAULTS));
    for (const name of DEPLOYED_FUNCTIONS) expect(actionsOf(none[name]).some((action) => /^(sns|ssm|secretsmanager):/.test(action)), name).toBe(false);

    const topic = 'arn:aws:sns:eu-west-1:111122223333:sentinel-events';
    const partial = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:sentinel-webhook';
    const withSm = roleStatements(settingsFromParams('t', { ...DEFAULTS, snsTopicArn: topic, webhookSecretArn: partial }));
    for (const name of ['requests', 'breakglass', 'revokeSessions', 'sweep'] as const) {
      expect(withSm[name].find((statement) => statement.Sid === 'PublishEvents'), name).toEqual({ Sid: 'PublishEvents', Effect: 'Allow', Action: ['sns:Publish'], Resource: [topic] });
      // An ARN without Secrets Manager's random suffix names the secret too: both spellings.
      expect(withSm[name].find((statement) => statement.Sid === 'ReadWebhookSecret'), name).toEqual({ Sid: 'ReadWebhookSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [partial, `${partial}-??????`] });
    }
    for (const name of ['credentials', 'whoami', 'provision', 'putPolicy'] as const) expect(actionsOf(withSm[name]), name).not.toContain('sns:Publish');

    const full = `${partial}-AbC123`;
    expect(roleStatements(settingsFromParams('t', { ...DEFAULTS, webhookSecretArn: full })).requests.find((statement) => statement.Sid === 'ReadWebhookSecret')?.Resource).toEqual([full]);
    const parameter = 'arn:aws:ssm:eu-west-1:111122223333:parameter/sentinel/webhook';
    expect(roleStatements(settingsFromParams('t', { ...DEFAULTS, webhookSecretArn: parameter })).requests.find((statement) => statement.Sid === 'ReadWebhookSecret')).toEqual({
      Sid: 'ReadWebhookSecret',
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: [parameter],
    });
  });

  it('names the configured tables, role patterns and prefix, never "*"', () => {
    const statements = roleStatements(settingsFromParams('t', { ...DEFAULTS, tablePrefix: 'acme-sentinel-', configTable: 'acme-sentinel-cfg', revocableRoles: 'sentinel-*,team-sentinel-*' }));
    const text = JSON.stringify(statements);
    expect(text).toContain(':table/acme-sentinel-*');
    expect(text).toContain(':table/acme-sentinel-cfg');
    expect(text).toContain(':table/acme-sentinel-requests/index/by-pending');
    expect(text).not.toContain(':table/sentinel-');
    expect(statements.sweep.find((statement) => statement.Sid === 'WriteRevocationPolicies')?.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/sentinel-*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/team-sentinel-*' },
    ]);
    for (const list of Object.values(statements)) for (const statement of list) expect(statement.Resource, statement.Sid).not.toContain('*');
  });
});

describe('alarms and the REST resource policy', () => {
  it('sends every alarm to the alarm topic when one is given', () => {
    const topic = 'arn:aws:sns:eu-west-1:111122223333:ops';
    const resources = (resourcesSection(settingsFromParams('t', { ...DEFAULTS, alarmTopicArn: topic })).Resources ?? {}) as Record<string, { Type: string; Properties: { AlarmActions?: string[] } }>;
    const alarms = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(DEPLOYED_FUNCTIONS.length + 5);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topic]);
  });

  it('admits the organisations and the listed accounts on the REST API; the HTTP API has no policy', () => {
    expect(apiGatewaySection(settingsFromParams('t', { ...DEFAULTS, allowedOrganizations: 'o-abcdefghij' }))).toEqual({});
    expect(apiGatewaySection(settingsFromParams('t', { ...DEFAULTS, api: 'rest', allowedOrganizations: 'o-abcdefghij,o-klmnopqrst', allowedAccounts: '444455556666' }))).toEqual({
      resourcePolicy: [
        { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': ['o-abcdefghij', 'o-klmnopqrst'] } } },
        { Effect: 'Allow', Principal: { AWS: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::444455556666:root' }] }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
      ],
    });
  });
});

describe('docs/deploy.md', () => {
  it("lists every function with the memory and timeout it is deployed with", () => {
    const guide = readFileSync(new URL('../../../docs/deploy.md', import.meta.url), 'utf8');
    const functions = functionsSection(settingsFromParams('t', DEFAULTS)) as Record<string, { memorySize: number; timeout: number }>;
    for (const name of DEPLOYED_FUNCTIONS) {
      const row = guide.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      expect(row, name).toContain(`| ${functions[name]?.memorySize} MB | ${functions[name]?.timeout} s |`);
    }
  });
});
