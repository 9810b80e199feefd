/**
 * `serverless package` (osls + serverless-esbuild) on a scratch copy of the checkout,
 * with no AWS credentials: packaging must stay offline, and what it produces is what
 * `serverless deploy` would upload.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FUNCTION_NAMES, ROUTES as API_ROUTES, routeKey, routesOf } from '../../src/api/routes.js';
import { SCHEDULED_FUNCTIONS } from '../../src/compose/lambda.js';
import { CONFIG_KEYS } from '../../src/config.js';
import { FUNCTION_ROLE_PATH } from '../../src/deploy/names.js';
import { DEPLOYED_FUNCTIONS, roleLogicalId, roleStatements, settingsFromParams } from '../../src/deploy/template.js';
// @ts-expect-error: a plain .mjs module without type declarations.
import { functionOptions } from '../../scripts/buildOptions.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Each function and the route keys it serves, from the one route table. */
const ROUTES: Record<string, string[]> = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, routesOf(name).map((route) => routeKey(API_ROUTES[route]))]));

/** Every function, HTTP or scheduled. */
const ALL_FUNCTIONS: readonly string[] = [...FUNCTION_NAMES, ...SCHEDULED_FUNCTIONS];

/** The minimal surface of yauzl (shipped with osls, the packager under test; it has no bundled types). */
interface ZipFile {
  on(event: 'entry', listener: (entry: { fileName: string }) => void): void;
  on(event: 'end', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  openReadStream(entry: { fileName: string }, callback: (error: Error | null, stream: NodeJS.ReadableStream) => void): void;
}
interface Yauzl {
  open(file: string, options: { lazyEntries: boolean }, callback: (error: Error | null, zip: ZipFile) => void): void;
}
const yauzl = createRequire(path.join(ROOT, 'node_modules', 'osls', 'package.json'))('yauzl') as Yauzl;

/** Every file in a zip, with its contents. */
function unzip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: false }, (openError, zip) => {
      if (openError) return reject(openError);
      const files = new Map<string, Buffer>();
      const pending: Promise<void>[] = [];
      zip.on('error', reject);
      zip.on('entry', (entry) => {
        pending.push(
          new Promise((done, fail) => {
            zip.openReadStream(entry, (streamError, stream) => {
              if (streamError) return fail(streamError);
              const chunks: Buffer[] = [];
              stream.on('data', (chunk: Buffer) => chunks.push(chunk));
              stream.on('error', fail);
              stream.on('end', () => {
                files.set(entry.fileName, Buffer.concat(chunks));
                done();
              });
            });
          }),
        );
      });
      zip.on('end', () => {
        Promise.all(pending).then(() => resolve(files), reject);
      });
    });
  });
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The caller's environment without any way to reach AWS: no credentials, profile or instance metadata. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('SENTINEL_')) env[key] = value;
  }
  return {
    ...env,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(tmpdir(), 'sentinel-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmpdir(), 'sentinel-no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

let work: string;
let output: string;
let template: Template;
let packaging: { code: number | null; output: string };
/** The REST variant (--param="api=rest"), packaged beside the default. */
let rest: { code: number | null; output: string; template?: Template };
const ORGANIZATION = 'o-abcdefghij';

/** serverless.yml's parameter defaults, as the template was built from them. */
const SERVERLESS = parse(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as { params: { default: Record<string, unknown> }; custom: { esbuild: Record<string, unknown> } };
const PARAMS = SERVERLESS.params.default;

async function packageInto(copy: string, into: string, params: string[]): Promise<{ code: number | null; output: string; template?: Template }> {
  // A temporary folder of its own, to see what the packaging leaves there (removed with the rest).
  const tmp = path.join(copy, 'tmp');
  await mkdir(tmp, { recursive: true });
  const result = await run(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--stage', 'test', '--package', into, ...params.map((param) => `--param=${param}`)],
    { cwd: copy, env: { ...offlineEnv(), TMPDIR: tmp } },
  );
  if (result.code !== 0) return result;
  return { ...result, template: JSON.parse(await readFile(path.join(into, 'cloudformation-template-update-stack.json'), 'utf8')) as Template };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'sentinel-package-'));
  output = path.join(work, 'package');
  // Two checkouts: osls builds in the service directory (.serverless, .esbuild), so two packagings cannot share one.
  const checkout = async (name: string): Promise<string> => {
    const copy = path.join(work, name);
    for (const entry of ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'src', 'deploy']) {
      await cp(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
    }
    await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    return copy;
  };
  const [httpCopy, restCopy] = await Promise.all([checkout('checkout'), checkout('checkout-rest')]);
  const [http, restPackaging] = await Promise.all([packageInto(httpCopy, output, []), packageInto(restCopy, path.join(work, 'package-rest'), ['api=rest', `allowedOrganizations=${ORGANIZATION}`])]);
  packaging = http;
  if (http.template !== undefined) template = http.template;
  rest = restPackaging;
}, 240_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

function resources(type: string, of: Template = template) {
  return Object.values(of.Resources).filter((resource) => resource.Type === type);
}

function statements(of: Template = template): Statement[] {
  const inline = resources('AWS::IAM::Role', of).flatMap((role) => (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]);
  const managed = resources('AWS::IAM::Policy', of).map((policy) => policy.Properties as { PolicyDocument: { Statement: Statement[] } });
  return [...inline, ...managed].flatMap((policy) => policy.PolicyDocument.Statement);
}

/** The relative module specifiers an ES module bundle imports (`from "./…"`, `import "./…"`, `import("./…")`). */
function relativeImports(code: string): string[] {
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.\.?\/[^"']+)["']/g)].map((match) => match[1] ?? '');
}

/** The relative specifiers of an ES module bundle's static imports only (`from "./…"`, `import "./…"`): what loads with it. */
function staticImports(code: string): string[] {
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*)["'](\.\.?\/[^"']+)["']/g)].map((match) => match[1] ?? '');
}

/** The logical id of the role a function (by handler) runs as. */
function roleOf(name: string): string | undefined {
  const fn = resources('AWS::Lambda::Function').find((resource) => resource.Properties.Handler === `functions/${name}.handler`);
  return referencedIds(fn?.Properties.Role)[0];
}

/** The logical id of the function whose handler is `functions/<name>.handler`. */
function functionId(name: string, of: Template = template): string | undefined {
  return Object.entries(of.Resources).find(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Handler === `functions/${name}.handler`)?.[0];
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The logical ids a CloudFormation value refers to (`Ref`, `Fn::GetAtt`), in order. */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string') return [record.Ref];
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]];
  return Object.values(record).flatMap(referencedIds);
}

describe('serverless package', () => {
  it('packages offline, without AWS credentials', () => {
    // Any AWS call (an ${aws:...} variable, a CloudFormation lookup) would fail for want of credentials.
    expect(packaging.code, packaging.output).toBe(0);
  });

  it("leaves none of serverless-esbuild's zip staging folders in the temporary folder (deploy/zipStagingCleanup.cjs)", async () => {
    expect(packaging.code).toBe(0);
    for (const copy of ['checkout', 'checkout-rest']) {
      const left = (await readdir(path.join(work, copy, 'tmp'))).filter((entry) => /-\d+-\d+-[0-9a-f]{8}$/.test(entry));
      expect(left).toEqual([]);
    }
  });

  it('produces one zip per function holding its ES module bundle and every chunk it loads, nothing of another function', async () => {
    for (const name of ALL_FUNCTIONS) {
      const files = await unzip(path.join(output, `${name}.zip`));
      const chunks = `functions/${name}.chunks/`;
      for (const file of files.keys()) {
        expect(file === `functions/${name}.mjs` || file === `functions/${name}.mjs.map` || (file.startsWith(chunks) && /\.mjs(\.map)?$/.test(file)), `${name}: ${file}`).toBe(true);
      }
      for (const [file, contents] of files) {
        if (!file.endsWith('.mjs')) continue;
        const code = contents.toString('utf8');
        // The createRequire banner: bundled CommonJS dependencies need `require` inside an ES module (each chunk is one).
        expect(code.startsWith("import { createRequire as __sentinelCreateRequire } from 'node:module';"), file).toBe(true);
        // Every chunk a file imports, at start or through import() on first use, is in the zip.
        for (const specifier of relativeImports(code)) expect(files.has(path.posix.join(path.posix.dirname(file), specifier)), `${file} imports ${specifier}`).toBe(true);
      }
      expect(files.has(`functions/${name}.mjs`), name).toBe(true);
    }
  });

  it("loads the credentials function's IAM client (the identity-role lookup) on first use, not at cold start", async () => {
    const files = await unzip(path.join(output, 'credentials.zip'));
    const code = (file: string) => files.get(file)?.toString('utf8') ?? '';
    // What the entry loads at start: itself and the chunks it imports statically, transitively.
    const atStart = new Set<string>();
    const pending = ['functions/credentials.mjs'];
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      if (atStart.has(file)) continue;
      atStart.add(file);
      pending.push(...staticImports(code(file)).map((specifier) => path.posix.join(path.posix.dirname(file), specifier)));
    }
    const holdsIam = (file: string) => file.endsWith('.mjs') && code(file).includes('GetRoleCommand');
    expect([...files.keys()].filter(holdsIam)).not.toEqual([]);
    expect([...atStart].filter(holdsIam)).toEqual([]);
  });

  it('bundles with the options scripts/buildOptions.mjs gives npm run build and the benchmarks', () => {
    const built = functionOptions(ROOT) as Record<string, unknown>;
    const deployed = SERVERLESS.custom.esbuild;
    for (const key of ['bundle', 'platform', 'format', 'target', 'minifyWhitespace', 'minifySyntax', 'keepNames', 'sourcemap', 'splitting', 'mainFields', 'banner']) {
      expect(deployed[key], key).toEqual(built[key]);
    }
  });

  it('wires each function to its route, every route AWS_IAM-authorised', () => {
    const routes = resources('AWS::ApiGatewayV2::Route').map((route) => [route.Properties.RouteKey, route.Properties.AuthorizationType]);
    expect(routes.sort()).toEqual(Object.values(ROUTES).flat().map((key) => [key, 'AWS_IAM']).sort());

    const handlers = resources('AWS::Lambda::Function').map((fn) => fn.Properties.Handler);
    expect(handlers.sort()).toEqual(ALL_FUNCTIONS.map((name) => `functions/${name}.handler`).sort());

    // Route → integration → function: each route reaches the function the table names.
    const served: Array<[string, unknown]> = resources('AWS::ApiGatewayV2::Route').map((route) => {
      const integration = template.Resources[referencedIds(route.Properties.Target)[0] ?? ''];
      const fn = template.Resources[referencedIds(integration?.Properties.IntegrationUri)[0] ?? ''];
      return [String(route.Properties.RouteKey), fn?.Properties.Handler];
    });
    const expected = Object.entries(ROUTES).flatMap(([name, keys]) => keys.map((key): [string, unknown] => [key, `functions/${name}.handler`]));
    expect(served.sort()).toEqual(expected.sort());
  });

  it('runs the sweep every 5 minutes from an EventBridge rule, with no route and no Lambda retries', () => {
    const rules = resources('AWS::Events::Rule');
    expect(rules.map((rule) => rule.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    const target = (rules[0]?.Properties.Targets as Array<{ Arn: unknown }>)[0];
    const fn = template.Resources[referencedIds(target?.Arn)[0] ?? ''];
    expect(fn?.Properties.Handler).toBe('functions/sweep.handler');
    const invokeConfig = resources('AWS::Lambda::EventInvokeConfig').map((config) => config.Properties.MaximumRetryAttempts);
    expect(invokeConfig).toEqual([0]);
  });

  it('gives every function a role of its own under /sentinel/, trusted by Lambda alone; no shared execution role', () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    expect(resources('AWS::IAM::Role')).toHaveLength(DEPLOYED_FUNCTIONS.length);
    for (const name of DEPLOYED_FUNCTIONS) {
      expect(roleOf(name), name).toBe(roleLogicalId(name));
      const role = template.Resources[roleLogicalId(name)]?.Properties ?? {};
      // The path keeps function roles out of every `role/sentinel-*` pattern (target roles, revocation, the SCP).
      expect(role.Path, name).toBe(FUNCTION_ROLE_PATH);
      expect(role.RoleName, name).toEqual({ 'Fn::Sub': `sentinel-test-\${AWS::Region}-${name}` });
      expect(role.AssumeRolePolicyDocument, name).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    }
  });

  it("grants each role exactly the statements src/deploy/permissions.ts gives its function (test/integration/permissions.test.ts checks those against the calls the code makes)", () => {
    const expected = roleStatements(settingsFromParams('test', PARAMS));
    for (const name of DEPLOYED_FUNCTIONS) {
      const policies = template.Resources[roleLogicalId(name)]?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>;
      expect(policies, name).toHaveLength(1);
      expect(policies[0]?.PolicyDocument.Statement, name).toEqual(expected[name]);
    }
  });

  it('names no wildcard action and no "*" resource; each role writes only its own log group', () => {
    for (const statement of statements()) {
      for (const action of list(statement.Action)) expect(action, statement.Sid).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      for (const resource of list(statement.Resource)) expect(resource, statement.Sid).not.toBe('*');
    }
    for (const name of DEPLOYED_FUNCTIONS) {
      const policies = template.Resources[roleLogicalId(name)]?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>;
      const logs = policies.flatMap((policy) => policy.PolicyDocument.Statement).filter((statement) => list(statement.Action).some((action) => action.startsWith('logs:')));
      expect(logs.map((statement) => statement.Resource), name).toEqual([[{ 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/sentinel-test-${name}:*` }]]);
    }
  });

  it('lets only the credentials function assume profile roles, only the revocation functions the revoker roles, and only they write role policies', () => {
    const holders = (test: (action: string) => boolean) =>
      DEPLOYED_FUNCTIONS.filter((name) =>
        (template.Resources[roleLogicalId(name)]?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>)
          .flatMap((policy) => policy.PolicyDocument.Statement)
          .some((statement) => statement.Effect === 'Allow' && list(statement.Action).some(test)),
      );
    expect(holders((action) => action === 'sts:TagSession' || action === 'sts:SetSourceIdentity')).toEqual(['credentials']);
    expect(holders((action) => action.endsWith('RolePolicy')).sort()).toEqual(['revokeSessions', 'sweep']);
    expect(holders((action) => action === 'dynamodb:CreateTable')).toEqual(['provision']);
    expect(holders((action) => action === 'dynamodb:Scan')).toEqual(['sweep']);
    const assume = statements().filter((statement) => list(statement.Action).includes('sts:AssumeRole'));
    expect(assume.map((statement) => [statement.Sid, statement.Effect, statement.Resource])).toEqual([
      ['AssumeProfileRoles', 'Allow', ['arn:aws:iam::*:role/sentinel-*']],
      ['NeverAssumeRevokerRoles', 'Deny', [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/sentinel-revoker' }]],
      ...[1, 2].map(() => ['AssumeRevokerRoles', 'Allow', [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/sentinel-revoker' }]]),
    ]);
  });

  it('alarms on 5xx, throttles of every function, sweep errors, break-glass and revocation failures (metric filters on the logs)', () => {
    const alarms = resources('AWS::CloudWatch::Alarm').map((alarm) => alarm.Properties);
    expect(alarms.map((alarm) => alarm.AlarmName).sort()).toEqual(
      ['api-5xx', 'sweep-errors', 'breakglass-issuance', 'breakglass-invoked', 'revocation-failures', ...DEPLOYED_FUNCTIONS.map((name) => `${name}-throttles`)].map((name) => `sentinel-test-${name}`).sort(),
    );
    // Without alarmTopicArn the alarms notify nobody; they still show in the console.
    for (const alarm of alarms) expect(alarm.AlarmActions).toBeUndefined();
    const byName = (name: string) => alarms.find((alarm) => alarm.AlarmName === `sentinel-test-${name}`);
    expect(byName('api-5xx')).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }], Threshold: 5 });
    for (const name of DEPLOYED_FUNCTIONS) {
      expect(byName(`${name}-throttles`), name).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId(name) } }] });
    }
    const filters = resources('AWS::Logs::MetricFilter').map((filter) => filter.Properties as { LogGroupName: { Ref: string }; FilterPattern: string; MetricTransformations: Array<{ MetricName: string; MetricNamespace: string }> });
    const logGroupOf = (ref: string) => (template.Resources[ref]?.Properties as { LogGroupName?: string } | undefined)?.LogGroupName;
    expect(filters.map((filter) => [logGroupOf(filter.LogGroupName.Ref), filter.MetricTransformations[0]?.MetricName, filter.FilterPattern]).sort()).toEqual(
      [
        ['/aws/lambda/sentinel-test-credentials', 'BreakglassIssuances', '{ $.alert = "SentinelBreakglassIssuance" }'],
        ['/aws/lambda/sentinel-test-breakglass', 'BreakglassInvocations', '{ $.alert = "SentinelBreakglassInvoked" }'],
        ['/aws/lambda/sentinel-test-revokeSessions', 'RevocationFailures', '{ $.alert = "SentinelRevocationPending" || $.alert = "SentinelRevocationPolicyFull" }'],
        ['/aws/lambda/sentinel-test-sweep', 'RevocationFailures', '{ $.alert = "SentinelRevocationPending" || $.alert = "SentinelRevocationPolicyFull" }'],
      ].sort(),
    );
    for (const filter of filters) expect(filter.MetricTransformations[0]?.MetricNamespace).toBe('Sentinel/test');
    for (const metric of ['BreakglassIssuances', 'BreakglassInvocations', 'RevocationFailures']) {
      expect(alarms.filter((alarm) => alarm.MetricName === metric && alarm.Namespace === 'Sentinel/test'), metric).toHaveLength(1);
    }
    const retention = resources('AWS::Logs::LogGroup').map((group) => group.Properties.RetentionInDays);
    expect(retention).toEqual(DEPLOYED_FUNCTIONS.map(() => 90));
  });

  it('outputs the roles the target roles and the revoker roles trust', () => {
    const outputs = (template as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    expect(outputs.CredentialsRoleArn?.Value).toEqual({ 'Fn::GetAtt': ['CredentialsRole', 'Arn'] });
    expect(outputs.RevokeSessionsRoleArn?.Value).toEqual({ 'Fn::GetAtt': ['RevokeSessionsRole', 'Arn'] });
    expect(outputs.SweepRoleArn?.Value).toEqual({ 'Fn::GetAtt': ['SweepRole', 'Arn'] });
  });

  it('the REST variant: every route an AWS_IAM method of its function, a regional API whose resource policy admits the organisation', () => {
    expect(rest.code, rest.output).toBe(0);
    const restTemplate = rest.template as Template;
    expect(resources('AWS::ApiGatewayV2::Api', restTemplate)).toEqual([]);
    const [api] = resources('AWS::ApiGateway::RestApi', restTemplate);
    expect(api?.Properties.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    expect(api?.Properties.Policy).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: ['execute-api:Invoke'], Resource: 'execute-api:/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': [ORGANIZATION] } } }],
    });
    // Each method: its full path (resource → parent …), AWS_IAM, and the function its integration invokes.
    const pathOf = (id: string | undefined): string => {
      const resource = id === undefined ? undefined : restTemplate.Resources[id];
      if (resource === undefined) return '';
      return `${pathOf(referencedIds(resource.Properties.ParentId).find((parent) => parent !== 'ApiGatewayRestApi'))}/${String(resource.Properties.PathPart)}`;
    };
    const served = resources('AWS::ApiGateway::Method', restTemplate).map((method) => {
      const integration = method.Properties.Integration as { Uri: unknown };
      const fn = restTemplate.Resources[referencedIds(integration.Uri).find((id) => id.endsWith('LambdaFunction')) ?? ''];
      return [`${String(method.Properties.HttpMethod)} ${pathOf(referencedIds(method.Properties.ResourceId)[0])}`, method.Properties.AuthorizationType, fn?.Properties.Handler];
    });
    const expected = Object.entries(ROUTES).flatMap(([name, keys]) => keys.map((key) => [key, 'AWS_IAM', `functions/${name}.handler`]));
    expect(served.sort()).toEqual(expected.sort());
    expect(resources('AWS::CloudWatch::Alarm', restTemplate).find((alarm) => alarm.Properties.AlarmName === 'sentinel-test-api-5xx')?.Properties).toMatchObject({
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: (api?.Properties.Name as string) ?? 'missing' }],
    });
  });

  it('sets only variables src/config.ts knows, and prints each function\'s zipped size', async () => {
    const sizes: string[] = [];
    for (const name of DEPLOYED_FUNCTIONS) {
      const fn = template.Resources[functionId(name) ?? '']?.Properties;
      const variables = Object.keys((fn?.Environment as { Variables: Record<string, unknown> }).Variables);
      for (const key of variables) expect(key.startsWith('SENTINEL_') ? (CONFIG_KEYS as readonly string[]).includes(key) : key.startsWith('POWERTOOLS_'), `${name}: ${key}`).toBe(true);
      sizes.push(`${name.padEnd(16)} ${((await stat(path.join(output, `${name}.zip`))).size / 1024).toFixed(1).padStart(7)} kB`);
    }
    console.log(`zipped function packages (serverless package --stage test):\n${sizes.join('\n')}`);
  });

  it('ships a configuration the bundles accept: each loads and exports its handler', async () => {
    const credentials = resources('AWS::Lambda::Function').find((fn) => fn.Properties.Handler === 'functions/credentials.handler');
    const variables = (credentials?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      SENTINEL_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
      SENTINEL_DEFAULT_SESSION_TABLE: 'sentinel-sessions',
      SENTINEL_CONFIG_TABLE: 'sentinel-config',
      SENTINEL_POLICY_TTL: '10',
    });

    // What Lambda would set: the template's variables with the account resolved, plus the region.
    const env: NodeJS.ProcessEnv = { ...offlineEnv(), AWS_REGION: 'us-east-1' };
    for (const [key, value] of Object.entries(variables)) env[key] = typeof value === 'string' ? value : '111122223333';
    const directory = await mkdtemp(path.join(work, 'unzipped-'));
    for (const name of ALL_FUNCTIONS) {
      // Each package on its own, as Lambda unpacks it.
      const unpacked = path.join(directory, name);
      for (const [entry, contents] of await unzip(path.join(output, `${name}.zip`))) {
        await mkdir(path.dirname(path.join(unpacked, entry)), { recursive: true });
        await writeFile(path.join(unpacked, entry), contents);
      }
      const file = path.join(unpacked, 'functions', `${name}.mjs`);
      const loaded = await run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`], {
        cwd: unpacked,
        env,
      });
      expect(loaded.output.trim(), name).toBe('function');
    }
  });
});
