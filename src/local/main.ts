/**
 * `npm start`: runs the local control plane until Ctrl-C.
 *
 *   npm start -- [--port 4280] [--region us-east-1] [--account 000000000000]
 *                [--default-session-table NAME|none] [--policy FILE] [--issuer dev|sts] [--state-dir DIR]
 *
 * A bad option value, an unreadable or invalid policy file, or a state directory that
 * is not one stops it at once with exit code 2 (as `sentinel` does for usage errors),
 * before DynamoDB Local starts. test/e2e/local-stack.test.ts types every option.
 */

import { DEFAULT_TABLE_PREFIX, isDeploymentTableName, REGION_NAME } from '../api/constants.js';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SentinelError } from '../errors.js';

/** Exit code of a usage error: bad option or value (the `sentinel` CLI's too). */
const EXIT_USAGE = 2;

/** `--default-session-table none`: no deployment default (DESIGN.md, the no-default behaviour). */
const NO_TABLE = 'none';

function port(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65_535) throw new InvalidArgumentError('a port number (0–65535; 0 picks a free one)');
  return number;
}

/**
 * Checks the value and keeps it as typed, `none` included: commander turns a parser's
 * `null` into `''`, so "no table" is decided after parsing ({@link defaultSessionTable}).
 */
function sessionTable(value: string): string {
  if (value === NO_TABLE) return value;
  if (!isDeploymentTableName(value, DEFAULT_TABLE_PREFIX)) throw new InvalidArgumentError(`a table name starting with "${DEFAULT_TABLE_PREFIX}", or "${NO_TABLE}"`);
  return value;
}

/** The stack's default session table: null for `none`. */
function defaultSessionTable(value: string): string | null {
  return value === NO_TABLE ? null : value;
}

function account(value: string): string {
  if (!/^\d{12}$/.test(value)) throw new InvalidArgumentError('a 12-digit AWS account id');
  return value;
}

function region(value: string): string {
  if (!REGION_NAME.test(value)) throw new InvalidArgumentError('an AWS region such as us-east-1');
  return value;
}

const program = new Command('npm start --')
  .description('Run the Sentinel control plane locally: DynamoDB Local, the example policy, local identities, the real handlers.')
  .addOption(new Option('--port <port>', 'API port on 127.0.0.1').default(4280).argParser(port))
  .addOption(new Option('--region <region>', 'signing region clients must use').default('us-east-1').argParser(region))
  .addOption(new Option('--account <id>', 'account id of the local identities').default('000000000000').argParser(account))
  .addOption(
    new Option('--default-session-table <name|none>', 'deployment default session table; "none" shows the no-default behaviour')
      .default('sentinel-sessions')
      .argParser(sessionTable),
  )
  .addOption(new Option('--policy <file>', 'policy loaded at start').default('examples/policy.yaml'))
  .addOption(new Option('--state-dir <dir>', 'where the local shared-credentials file is kept').default('.sentinel/local'))
  .addOption(new Option('--issuer <kind>', 'dev mints development credentials; sts uses AWS STS with your AWS credentials').choices(['dev', 'sts']).default('dev'))
  .showHelpAfterError('(npm start -- --help lists the options)')
  // Help asked for exits 0; every parse error is a usage error.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE));

/** Prints `error: message` as commander does and exits with the usage code. */
function usageError(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(EXIT_USAGE);
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'not a directory';
  return code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * The values commander cannot judge, checked before anything slow starts: the policy
 * file must be readable and valid, and the state directory, if it exists, a directory.
 */
async function checkFiles(options: { policy: string; stateDir: string }): Promise<void> {
  let text: string;
  try {
    text = await readFile(options.policy, 'utf8');
  } catch (error) {
    usageError(`--policy ${options.policy}: cannot read the file: ${reasonOf(error)}`);
  }
  const { formatIssue, loadPolicy } = await import('../policy/parse.js');
  const { issues } = loadPolicy(text, options.policy);
  if (issues.length > 0) usageError([`--policy ${options.policy} is not a valid policy:`, ...issues.map(formatIssue)].join('\n'));
  const state = await stat(options.stateDir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // created at start
    usageError(`--state-dir ${options.stateDir}: ${reasonOf(error)}`);
  });
  if (state !== undefined && !state.isDirectory()) usageError(`--state-dir ${options.stateDir}: not a directory`);
}

/** What to say when the API's port is taken. */
function portInUse(port: number): string {
  return `--port ${port}: 127.0.0.1:${port} is already in use (another npm start?): stop it, or pass another --port (0 picks a free one)`;
}

/** Fails fast, before DynamoDB Local starts, when the API's port is taken (0 never is). */
async function checkPort(port: number): Promise<void> {
  if (port === 0) return;
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') usageError(portInUse(port));
      if (error.code === 'EACCES') usageError(`--port ${port}: permission denied (ports below 1024 need privileges); pass another --port`);
      resolve(); // anything else is left to the real listen, which reports it
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

async function main(): Promise<void> {
  program.parse();
  // The AWS SDK warns on every Node 20 start; the local stack runs there on purpose (see DEVELOPERS.md).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const options = program.opts<{ port: number; region: string; account: string; defaultSessionTable: string; policy: string; stateDir: string; issuer: 'dev' | 'sts' }>();
  await checkFiles(options);
  await checkPort(options.port);
  const { startLocalStack } = await import('./stack.js');
  const log = (line: string): void => void process.stderr.write(`[sentinel-local] ${line}\n`);
  const stack = await startLocalStack({
    port: options.port,
    region: options.region,
    accountId: options.account,
    defaultSessionTable: defaultSessionTable(options.defaultSessionTable),
    policyFile: options.policy,
    issuer: options.issuer,
    stateDir: options.stateDir,
    log,
  });
  // Relative when it is under the working directory (the default), else as given.
  const relative = path.relative(process.cwd(), stack.credentialsFile);
  const credentialsFile = relative.startsWith('..') || path.isAbsolute(relative) ? stack.credentialsFile : relative;
  process.stdout.write(
    [
      '',
      `Sentinel local control plane on ${stack.url} (${options.issuer === 'dev' ? 'dev issuer: development credentials, useless against AWS' : 'STS issuer: real credentials'})`,
      `  identities: ${stack.identities.map((identity) => identity.name).join(', ')} (account ${options.account}) in ${credentialsFile}`,
      `  default session table: ${stack.defaultSessionTable ?? 'none'}`,
      `  DynamoDB Local (in memory): ${stack.dynamodbEndpoint}`,
      '',
      'In another terminal:',
      `  export SENTINEL_API_URL=${stack.url}`,
      `  export AWS_SHARED_CREDENTIALS_FILE=${stack.credentialsFile}`,
      '  export AWS_PROFILE=alice',
      '',
      'Try it (the CLI signs with alice\'s local key and runs the command with the vended credentials):',
      `  ./bin/sentinel exec --profile dev -- sh -c 'echo "$SENTINEL_PROFILE: $AWS_ACCESS_KEY_ID until $AWS_CREDENTIAL_EXPIRATION"'`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`stop failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  // Taken between the check and the listen.
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`npm start: ${portInUse(program.opts<{ port: number }>().port)}\n`);
    process.exit(1);
  }
  const message = error instanceof SentinelError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
});
