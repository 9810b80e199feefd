/**
 * The parts of serverless.yml that are derived rather than written: every function with
 * its routes (from the one route table, src/api/routes.ts), its own IAM role (from
 * src/deploy/permissions.ts), the alarms and their metric filters, the outputs, and the
 * REST variant's resource policy. deploy/serverless.cjs hands these to osls at package
 * time; test/e2e/package.test.ts checks the packaged template against them.
 *
 * Pure: settings in, plain CloudFormation/osls objects out.
 */

import { FUNCTION_NAMES, ROUTES, routesOf, SCHEDULED_FUNCTIONS } from '../api/routes.js';
import type { FunctionName } from '../api/routes.js';
import { FUNCTION_ROLE_PATH, functionRoleName, REVOKER_ROLE_NAME, ROLE_NAME_MAX } from './names.js';
import { functionPermissions } from './permissions.js';
import type { PermissionStatement, ResourceRef } from './permissions.js';

/** The API Gateway flavour: an HTTP API (default), or a REST API whose resource policy admits the organisation. */
export type ApiKind = 'http' | 'rest';

/** What the template is built from: serverless.yml's parameters and the stage. */
export interface DeploySettings {
  stage: string;
  api: ApiKind;
  tablePrefix: string;
  configTable: string;
  requestsTable: string;
  breakglassTable: string;
  /** Role ARN patterns the credentials function may assume. */
  assumableRoles: readonly string[];
  /** Role-name patterns of this account whose revocation policy may be written. */
  revocableRoles: readonly string[];
  identityRoleLookup: boolean;
  snsTopicArn?: string;
  webhookSecretArn?: string;
  /** AWS Organizations ids admitted by the REST API's resource policy (and by Sentinel). */
  allowedOrganizations: readonly string[];
  /** Accounts admitted besides the deployment's own. */
  allowedAccounts: readonly string[];
  /** Where the alarms notify; none = alarms without actions. */
  alarmTopicArn?: string;
}

/** Every function, HTTP or scheduled. */
export type DeployedFunction = FunctionName | (typeof SCHEDULED_FUNCTIONS)[number];
export const DEPLOYED_FUNCTIONS: readonly DeployedFunction[] = [...FUNCTION_NAMES, ...SCHEDULED_FUNCTIONS];

interface Sizing {
  memorySize: number;
  timeout: number;
}

/**
 * Memory and timeout. Lambda allots CPU in proportion to memory: `credentials` does the
 * most work per request (rate limit, policy, session write, STS, session update) and
 * callers wait on it, so it gets 1024 MB; the others answer from a few DynamoDB calls
 * and get 512 MB. 10 s covers the SDK's three attempts at 3 s; API Gateway's limit is
 * 30 s (29 s for REST), so nothing that answers a route exceeds 28 s.
 */
const SIZING: Record<DeployedFunction, Sizing> = {
  credentials: { memorySize: 1024, timeout: 10 },
  whoami: { memorySize: 512, timeout: 10 },
  profiles: { memorySize: 512, timeout: 10 },
  getPolicy: { memorySize: 512, timeout: 10 },
  // A push parses and validates the whole YAML text once (up to 4 MiB, src/policy/parse.ts): about 3 s on one vCPU (1,769 MB).
  putPolicy: { memorySize: 1769, timeout: 28 },
  evaluatePolicy: { memorySize: 512, timeout: 10 },
  endSession: { memorySize: 512, timeout: 10 },
  checkSession: { memorySize: 512, timeout: 10 },
  sessions: { memorySize: 512, timeout: 10 },
  // A bulk call revokes up to 100 sessions and writes one deny per role (IAM answers in about a second, with retries).
  revokeSessions: { memorySize: 512, timeout: 28 },
  // The status call runs several control-plane requests in a row (three describes, TTL, PITR, the registry write).
  provision: { memorySize: 512, timeout: 28 },
  // A state change waits for its notifications (a webhook gets 3 attempts of 5 s; docs/notifications.md).
  requests: { memorySize: 512, timeout: 28 },
  breakglass: { memorySize: 512, timeout: 28 },
  // No caller waits; a run walks every session table's active index and the ledger.
  sweep: { memorySize: 512, timeout: 120 },
};

/** osls's logical-id spelling of a function name (`getPolicy` → `GetPolicy`). */
export function logicalName(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function roleLogicalId(name: DeployedFunction): string {
  return `${logicalName(name)}Role`;
}

/** The deployed function's name (osls: `<service>-<stage>-<function>`), also its log group's tail. */
export function deployedFunctionName(stage: string, name: string): string {
  return `sentinel-${stage}-${name}`;
}

/** The osls `functions:` section. */
export function functionsSection(settings: DeploySettings): Record<string, unknown> {
  const functions: Record<string, unknown> = {};
  for (const name of DEPLOYED_FUNCTIONS) {
    const base = { handler: `functions/${name}.handler`, role: roleLogicalId(name), ...SIZING[name] };
    if (name === 'sweep') {
      // Every 5 minutes (DESIGN.md, Revocation). A failed run is not retried by Lambda: the next run is the retry, and every step is idempotent.
      functions[name] = { ...base, maximumRetryAttempts: 0, events: [{ schedule: { rate: 'rate(5 minutes)' } }] };
    } else {
      functions[name] = { ...base, events: routeEvents(name, settings.api) };
    }
  }
  return functions;
}

function routeEvents(name: FunctionName, api: ApiKind): unknown[] {
  return routesOf(name).map((route) => {
    const { method, path } = ROUTES[route];
    return api === 'http' ? { httpApi: { method, path, authorizer: { type: 'aws_iam' } } } : { http: { method: method.toLowerCase(), path, authorizer: 'aws_iam' } };
  });
}

type Sub = { 'Fn::Sub': string };
const sub = (text: string): Sub => ({ 'Fn::Sub': text });
const ARN_HEAD = 'arn:${AWS::Partition}';

/** The ARNs a symbolic resource stands for in `settings`'s deployment, for function `name`. */
export function resourceArns(ref: ResourceRef, settings: DeploySettings, name: string): Array<string | Sub> {
  const table = (tail: string) => sub(`${ARN_HEAD}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${tail}`);
  switch (ref.kind) {
    case 'prefixedTables':
      return [table(`${settings.tablePrefix}*`)];
    case 'prefixedIndex':
      return [table(`${settings.tablePrefix}*/index/${ref.index}`)];
    case 'table': {
      const names = { config: settings.configTable, requests: settings.requestsTable, breakglass: settings.breakglassTable };
      return [table(ref.index === undefined ? names[ref.table] : `${names[ref.table]}/index/${ref.index}`)];
    }
    case 'assumableRoles':
      return [...settings.assumableRoles];
    case 'revocableRoles':
      return settings.revocableRoles.map((pattern) => sub(`${ARN_HEAD}:iam::\${AWS::AccountId}:role/${pattern}`));
    case 'revokerRoles':
      return [sub(`${ARN_HEAD}:iam::*:role/${REVOKER_ROLE_NAME}`)];
    case 'identityCenterRoles':
      return [sub(`${ARN_HEAD}:iam::\${AWS::AccountId}:role/aws-reserved/sso.amazonaws.com/*`)];
    case 'snsTopic':
      return settings.snsTopicArn === undefined ? [] : [settings.snsTopicArn];
    case 'webhookSecret': {
      const arn = settings.webhookSecretArn;
      if (arn === undefined) return [];
      // A Secrets Manager ARN given without its random six-character suffix still names the secret.
      return arn.includes(':secretsmanager:') && !/-[A-Za-z0-9]{6}$/.test(arn) ? [arn, `${arn}-??????`] : [arn];
    }
    case 'ownLogGroup':
      return [sub(`${ARN_HEAD}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${deployedFunctionName(settings.stage, name)}:*`)];
  }
}

/** A statement as IAM reads it. */
export interface IamStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: Array<string | Sub>;
}

/** Each function's statements, rendered. */
export function roleStatements(settings: DeploySettings): Record<DeployedFunction, IamStatement[]> {
  const permissions = functionPermissions({
    identityRoleLookup: settings.identityRoleLookup,
    ...(settings.snsTopicArn === undefined ? {} : { snsTopicArn: settings.snsTopicArn }),
    ...(settings.webhookSecretArn === undefined ? {} : { webhookSecretArn: settings.webhookSecretArn }),
  });
  const rendered = {} as Record<DeployedFunction, IamStatement[]>;
  for (const name of DEPLOYED_FUNCTIONS) {
    const statements = permissions[name];
    if (statements === undefined) throw new Error(`src/deploy/permissions.ts has no statements for function ${name}`);
    rendered[name] = statements.map((statement: PermissionStatement) => ({
      Sid: statement.sid,
      Effect: statement.effect ?? 'Allow',
      Action: [...statement.actions],
      Resource: statement.resources.flatMap((ref) => resourceArns(ref, settings, name)),
    }));
  }
  return rendered;
}

/** One role per function, under the /sentinel/ path, trusted by Lambda only. */
function roles(settings: DeploySettings): Record<string, unknown> {
  const statements = roleStatements(settings);
  const resources: Record<string, unknown> = {};
  for (const name of DEPLOYED_FUNCTIONS) {
    resources[roleLogicalId(name)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: sub(functionRoleName(settings.stage, '${AWS::Region}', name)),
        Path: FUNCTION_ROLE_PATH,
        Description: `Sentinel ${settings.stage}: the ${name} function's own role (src/deploy/permissions.ts)`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [{ PolicyName: `sentinel-${name}`, PolicyDocument: { Version: '2012-10-17', Statement: statements[name] } }],
      },
    };
  }
  return resources;
}

/** The alarm names and what they watch (docs/operations.md, Alarms). */
export const ALERT_FILTERS = [
  { id: 'BreakglassIssuance', function: 'credentials', metric: 'BreakglassIssuances', pattern: '{ $.alert = "SentinelBreakglassIssuance" }', period: 60 },
  { id: 'BreakglassInvoked', function: 'breakglass', metric: 'BreakglassInvocations', pattern: '{ $.alert = "SentinelBreakglassInvoked" }', period: 60 },
  { id: 'RevocationFailuresRevoke', function: 'revokeSessions', metric: 'RevocationFailures', pattern: '{ $.alert = "SentinelRevocationPending" || $.alert = "SentinelRevocationPolicyFull" }', period: 300 },
  { id: 'RevocationFailuresSweep', function: 'sweep', metric: 'RevocationFailures', pattern: '{ $.alert = "SentinelRevocationPending" || $.alert = "SentinelRevocationPolicyFull" }', period: 300 },
] as const;

function alarm(settings: DeploySettings, name: string, description: string, metric: Record<string, unknown>, threshold: number, period: number): Record<string, unknown> {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `sentinel-${settings.stage}-${name}`,
      AlarmDescription: description,
      ...metric,
      Statistic: 'Sum',
      Period: period,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...(settings.alarmTopicArn === undefined ? {} : { AlarmActions: [settings.alarmTopicArn] }),
    },
  };
}

function alarms(settings: DeploySettings): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  const namespace = `Sentinel/${settings.stage}`;
  const api5xx =
    settings.api === 'http'
      ? { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }] }
      : { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: [{ Name: 'ApiName', Value: `${settings.stage}-sentinel` }] };
  resources.Api5xxAlarm = alarm(settings, 'api-5xx', 'Sentinel answered 5xx (unavailable dependencies or a fault): docs/operations.md, Alarms', api5xx, 5, 300);
  for (const name of DEPLOYED_FUNCTIONS) {
    const dimensions = [{ Name: 'FunctionName', Value: { Ref: `${logicalName(name)}LambdaFunction` } }];
    resources[`${logicalName(name)}ThrottlesAlarm`] = alarm(settings, `${name}-throttles`, `Lambda throttled the ${name} function: docs/operations.md, Alarms`, { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: dimensions }, 1, 300);
  }
  resources.SweepErrorsAlarm = alarm(settings, 'sweep-errors', 'A sweep run failed; the next one retries: docs/operations.md, Alarms', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'SweepLambdaFunction' } }] }, 1, 900);
  for (const filter of ALERT_FILTERS) {
    resources[`${filter.id}MetricFilter`] = {
      Type: 'AWS::Logs::MetricFilter',
      Properties: {
        LogGroupName: { Ref: `${logicalName(filter.function)}LogGroup` },
        FilterPattern: filter.pattern,
        MetricTransformations: [{ MetricNamespace: namespace, MetricName: filter.metric, MetricValue: '1' }],
      },
    };
  }
  const filterAlarm = (name: string, metric: string, period: number, description: string) =>
    alarm(settings, name, description, { Namespace: namespace, MetricName: metric }, 1, period);
  resources.BreakglassIssuanceAlarm = filterAlarm('breakglass-issuance', 'BreakglassIssuances', 60, 'Credentials were issued under break-glass: docs/operations.md, Alarms');
  resources.BreakglassInvokedAlarm = filterAlarm('breakglass-invoked', 'BreakglassInvocations', 60, 'Someone invoked break-glass: docs/operations.md, Alarms');
  resources.RevocationFailuresAlarm = filterAlarm('revocation-failures', 'RevocationFailures', 300, 'The AWS side of a revocation is pending or the revocation policy is full: docs/revocation.md');
  return resources;
}

function outputs(): Record<string, unknown> {
  const output = (name: DeployedFunction, description: string) => ({ Description: description, Value: { 'Fn::GetAtt': [roleLogicalId(name), 'Arn'] } });
  return {
    CredentialsRoleArn: output('credentials', 'The role that issues credentials: every vended role trusts it (sentinel init role)'),
    RevokeSessionsRoleArn: output('revokeSessions', "The revoke function's role: each account's sentinel-revoker role trusts it"),
    SweepRoleArn: output('sweep', "The sweep's role: each account's sentinel-revoker role trusts it"),
  };
}

/** The osls `resources:` section: roles, alarms, outputs. */
export function resourcesSection(settings: DeploySettings): Record<string, unknown> {
  return { Resources: { ...roles(settings), ...alarms(settings) }, Outputs: outputs() };
}

/**
 * The REST variant's resource policy (HTTP APIs have none): `execute-api:Invoke` for
 * principals of the allowed organisations and accounts. Callers still need their own
 * IAM permission, and Sentinel applies its identity rules after API Gateway.
 */
export function apiGatewaySection(settings: DeploySettings): Record<string, unknown> {
  if (settings.api === 'http') return {};
  const statements: unknown[] = [];
  if (settings.allowedOrganizations.length > 0) {
    statements.push({ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': [...settings.allowedOrganizations] } } });
  }
  if (settings.allowedAccounts.length > 0) {
    statements.push({ Effect: 'Allow', Principal: { AWS: settings.allowedAccounts.map((account) => sub(`${ARN_HEAD}:iam::${account}:root`)) }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' });
  }
  return statements.length === 0 ? {} : { resourcePolicy: statements };
}

/** Parameters as osls hands them over (strings; empty = unset), validated into settings. */
export function settingsFromParams(stage: string, params: Record<string, unknown>, region?: string): DeploySettings {
  const text = (name: string): string => {
    const value = params[name];
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`parameter ${name} must be a string`);
    return String(value).trim();
  };
  const list = (name: string): string[] => (text(name) === '' ? [] : text(name).split(',').map((entry) => entry.trim()));
  const optional = (name: string): string | undefined => (text(name) === '' ? undefined : text(name));
  const api = text('api') === '' ? 'http' : text('api');
  if (api !== 'http' && api !== 'rest') throw new Error(`parameter api must be "http" or "rest", not ${JSON.stringify(api)}`);
  if (!/^[A-Za-z0-9-]+$/.test(stage)) throw new Error(`stage ${JSON.stringify(stage)} must be letters, digits and hyphens`);
  const longest = functionRoleName(stage, region ?? '', 'revokeSessions');
  if (region !== undefined && longest.length > ROLE_NAME_MAX) {
    throw new Error(`stage ${JSON.stringify(stage)} is too long for region ${region}: the role name ${longest} would exceed IAM's ${ROLE_NAME_MAX} characters`);
  }
  const prefix = text('tablePrefix');
  const lookup = text('identityRoleLookup');
  const settings: DeploySettings = {
    stage,
    api,
    tablePrefix: prefix,
    configTable: text('configTable') === '' ? `${prefix}config` : text('configTable'),
    requestsTable: `${prefix}requests`,
    breakglassTable: `${prefix}breakglass`,
    assumableRoles: list('assumableRoles'),
    revocableRoles: list('revocableRoles'),
    identityRoleLookup: lookup === '' || lookup === 'iam',
    allowedOrganizations: list('allowedOrganizations'),
    allowedAccounts: list('allowedAccounts'),
  };
  for (const [name, value] of [['snsTopicArn', optional('snsTopicArn')], ['webhookSecretArn', optional('webhookSecretArn')], ['alarmTopicArn', optional('alarmTopicArn')]] as const) {
    if (value !== undefined) (settings as unknown as Record<string, string>)[name] = value;
  }
  if (settings.assumableRoles.length === 0) throw new Error('parameter assumableRoles must name at least one role ARN pattern');
  if (settings.api === 'rest' && settings.allowedOrganizations.length === 0 && settings.allowedAccounts.length === 0) {
    throw new Error('parameter api=rest is for callers of other accounts: set allowedOrganizations (o-…) or allowedAccounts');
  }
  return settings;
}
