/**
 * DynamoDB Local — AWS's own DynamoDB emulator, a Java program — for the local stack and
 * the integration tests.
 *
 * AWS publishes DynamoDB Local as a zip on S3 without a checksum we could pin; the same
 * release is also on the npm registry inside `amplify-dynamodb-simulator`, where the
 * tarball has an integrity hash. So the emulator is fetched with `npm pack` (the user's npm
 * registry settings apply), checked against the pinned integrity and the pinned SHA-256 of
 * `DynamoDBLocal.jar`, and unpacked into a per-user cache. The package is not a dependency:
 * it would pull in the whole Amplify CLI core.
 *
 * Cache layout: `<cache>/dynamodb-local/<package version>/` with `DynamoDBLocal.jar`,
 * `DynamoDBLocal_lib/` (without the Windows and macOS native libraries) and the licence
 * texts. An install is assembled in a temporary folder next to it and renamed into place,
 * so a reader never sees half an install and two processes installing at once both end up
 * with the same complete folder.
 *
 * DynamoDB Local listens on every interface and has no option to change that; it is started
 * through `java/LoopbackDynamoDBLocal.java`, which binds it to 127.0.0.1 and reports the
 * port it got.
 */

import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SetupError } from '../errors.js';

/** The npm package that carries the DynamoDB Local release. */
export const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator';
/** The pinned version of {@link DYNAMODB_LOCAL_PACKAGE}; also the name of its cache folder. */
export const DYNAMODB_LOCAL_PACKAGE_VERSION = '2.9.30';
/** npm's `dist.integrity` of that version's tarball (Subresource Integrity form). */
export const DYNAMODB_LOCAL_PACKAGE_INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';
/** SHA-256 (hex) of `package/emulator/DynamoDBLocal.jar` in that tarball. */
export const DYNAMODB_LOCAL_JAR_SHA256 = '454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7';
/** The DynamoDB Local release inside the pinned package (for messages and docs). */
export const DYNAMODB_LOCAL_VERSION = '1.25.1';

/** What to install and the checksums it must match. */
export interface DynamoDbLocalDistribution {
  packageName: string;
  /** The package version; the cache folder is named after it. */
  version: string;
  /** Expected tarball integrity, `sha512-<base64>`. */
  integrity: string;
  /** Expected SHA-256 (hex) of `DynamoDBLocal.jar`. */
  jarSha256: string;
}

/** The pinned distribution: {@link DYNAMODB_LOCAL_PACKAGE}@{@link DYNAMODB_LOCAL_PACKAGE_VERSION}. */
export const DYNAMODB_LOCAL_DISTRIBUTION: DynamoDbLocalDistribution = {
  packageName: DYNAMODB_LOCAL_PACKAGE,
  version: DYNAMODB_LOCAL_PACKAGE_VERSION,
  integrity: DYNAMODB_LOCAL_PACKAGE_INTEGRITY,
  jarSha256: DYNAMODB_LOCAL_JAR_SHA256,
};

/**
 * Downloads the tarball of `spec` (`name@version`) into the empty folder `destinationDir`
 * and returns the tarball's path. The default runs `npm pack`.
 */
export type FetchTarball = (spec: string, destinationDir: string) => Promise<string>;

/** Options of {@link ensureDynamoDbLocal}. */
export interface EnsureDynamoDbLocalOptions {
  /** Sentinel's cache folder; default {@link defaultCacheDir}. The emulator goes in `dynamodb-local/<version>` below it. */
  cacheDir?: string;
  /** Receives progress messages (download, verification). */
  log?: (line: string) => void;
  /** Environment used to find the default cache folder; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** How the tarball is downloaded; default `npm pack`. Tests hand in a local copy. */
  fetchTarball?: FetchTarball;
  /** What to install; default {@link DYNAMODB_LOCAL_DISTRIBUTION}. Tests hand in pins of a fake tarball. */
  distribution?: DynamoDbLocalDistribution;
}

/** Options of {@link startDynamoDbLocal}. */
export interface StartDynamoDbLocalOptions extends EnsureDynamoDbLocalOptions {
  /** How long Java may take, once started, to answer its first request (a download before that is not counted); default 60 s. */
  startTimeoutMs?: number;
  /** Port to listen on (127.0.0.1); default 0: a free port chosen by the system. */
  port?: number;
  /**
   * Java's own output, line by line; default: not shown (DynamoDB Local's start-up banner
   * names a placeholder port). Its last lines are in any start error either way.
   */
  output?: (line: string) => void;
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`: the `endpoint` for AWS SDK clients (any region, any credentials). */
  endpoint: string;
  port: number;
  /** Process id of the Java process. */
  pid: number;
  /**
   * Stops the process: SIGTERM, then SIGKILL if it is still running after a grace period.
   * Resolves once it has exited; calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

const LAUNCHER_SOURCE = fileURLToPath(new URL('./java/LoopbackDynamoDBLocal.java', import.meta.url));
const PORT_LINE = /^SENTINEL_DYNAMODB_LOCAL_PORT=(\d+)$/;
const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_LINES = 30;
/** Leftovers of an install that was killed midway are removed once they are this old. */
const ABANDONED_INSTALL_MS = 24 * 60 * 60 * 1000;
/** What is kept from the tarball: everything DynamoDB Local needs on Linux and macOS, plus its licences. */
const TARBALL_MEMBERS = [
  'package/emulator/DynamoDBLocal.jar',
  'package/emulator/DynamoDBLocal_lib',
  'package/emulator/LICENSE.txt',
  'package/emulator/THIRD-PARTY-LICENSES.txt',
];
const JAR = 'DynamoDBLocal.jar';
const LIB = 'DynamoDBLocal_lib';

const execFileAsync = promisify(execFile);

/**
 * Sentinel's per-user cache folder: `$SENTINEL_CACHE_DIR`, else `$XDG_CACHE_HOME/sentinel`,
 * else `~/.cache/sentinel`.
 */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  const explicit = env.SENTINEL_CACHE_DIR;
  if (explicit !== undefined && explicit !== '') return path.resolve(explicit);
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'sentinel');
  return path.join(os.homedir(), '.cache', 'sentinel');
}

/**
 * Makes sure the pinned DynamoDB Local is in the cache, downloading and verifying it if it
 * is not. A cached copy is used without touching the network (its jar is re-hashed; a
 * damaged copy is replaced).
 *
 * @returns the install folder (holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`) and
 *   whether this call downloaded it.
 * @throws SetupError `DYNAMODB_LOCAL_DOWNLOAD_FAILED` (npm could not fetch the package),
 *   `DYNAMODB_LOCAL_CHECKSUM_MISMATCH` (the tarball or the jar does not match the pins;
 *   nothing is installed) or `DYNAMODB_LOCAL_INSTALL_FAILED` (extraction failed).
 */
export async function ensureDynamoDbLocal(options: EnsureDynamoDbLocalOptions = {}): Promise<{ dir: string; downloaded: boolean }> {
  const distribution = options.distribution ?? DYNAMODB_LOCAL_DISTRIBUTION;
  const log = options.log ?? (() => {});
  const root = path.join(options.cacheDir ?? defaultCacheDir(options.env), 'dynamodb-local');
  const dir = path.join(root, distribution.version);

  const cached = await checkInstall(dir, distribution);
  if (cached === 'complete') return { dir, downloaded: false };
  if (cached === 'damaged') {
    log(`The cached DynamoDB Local in ${dir} does not match its checksum; installing it again.`);
    await discard(dir, root);
  }

  await mkdir(root, { recursive: true });
  await removeAbandonedInstalls(root);
  const work = await mkdtemp(path.join(root, `.install-${distribution.version}-`));
  try {
    const spec = `${distribution.packageName}@${distribution.version}`;
    const downloadDir = path.join(work, 'download');
    const extractDir = path.join(work, 'extract');
    await mkdir(downloadDir);
    await mkdir(extractDir);

    log(`Downloading DynamoDB Local (${spec}) with npm pack into ${root} ...`);
    const tarball = await (options.fetchTarball ?? npmPack)(spec, downloadDir);
    const actualIntegrity = await fileIntegrity(tarball, distribution.integrity);
    if (actualIntegrity !== distribution.integrity) {
      throw new SetupError(
        'DYNAMODB_LOCAL_CHECKSUM_MISMATCH',
        `Refusing to install DynamoDB Local: the downloaded ${spec} tarball does not match the pinned checksum ` +
          `(expected ${distribution.integrity}, got ${actualIntegrity}). Check which registry npm uses (npm config get registry).`,
      );
    }
    const { size } = await stat(tarball);
    log(`Verified ${spec} (${(size / 1024 / 1024).toFixed(1)} MB, ${distribution.integrity.slice(0, 19)}...).`);

    await extract(tarball, extractDir, spec);
    const actualJar = await sha256(path.join(extractDir, JAR));
    if (actualJar !== distribution.jarSha256) {
      throw new SetupError(
        'DYNAMODB_LOCAL_CHECKSUM_MISMATCH',
        `Refusing to install DynamoDB Local: ${JAR} in ${spec} does not match the pinned SHA-256 ` +
          `(expected ${distribution.jarSha256}, got ${actualJar}).`,
      );
    }

    try {
      await rename(extractDir, dir);
    } catch (error) {
      // Another process finished the same install first: its copy is as good as ours.
      if (!isCode(error, 'ENOTEMPTY', 'EEXIST') || (await checkInstall(dir, distribution)) !== 'complete') throw error;
    }
    log(`Installed DynamoDB Local in ${dir}.`);
    return { dir, downloaded: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Finds the `java` executable: `$JAVA_HOME/bin/java` first, then `java` on `PATH`.
 *
 * @throws SetupError `JAVA_NOT_FOUND`, with how to install a Java runtime.
 */
export async function findJava(env: Record<string, string | undefined> = process.env): Promise<string> {
  const javaHome = env.JAVA_HOME;
  if (javaHome !== undefined && javaHome !== '') {
    const candidate = path.join(javaHome, 'bin', 'java');
    if (await isExecutableFile(candidate)) return candidate;
  }
  for (const entry of (env.PATH ?? '').split(path.delimiter)) {
    if (entry === '') continue;
    const candidate = path.join(entry, 'java');
    if (await isExecutableFile(candidate)) return candidate;
  }
  const javaHomeNote =
    javaHome !== undefined && javaHome !== '' ? ` JAVA_HOME is set to ${javaHome}, but ${path.join(javaHome, 'bin', 'java')} is not an executable file.` : '';
  throw new SetupError(
    'JAVA_NOT_FOUND',
    [
      `DynamoDB Local (the database of the local stack and of the integration tests) needs a Java 17+ runtime, and no java was found in $JAVA_HOME/bin or on PATH.${javaHomeNote}`,
      'Install one:',
      '  Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless',
      '  macOS:         brew install openjdk@17 && export JAVA_HOME="$(brew --prefix openjdk@17)"',
      'or set JAVA_HOME to an installed Java 17+ (its bin/java is used).',
    ].join('\n'),
  );
}

/**
 * Starts an in-memory DynamoDB Local on 127.0.0.1 and resolves once it has answered a real
 * `ListTables` call. All clients share one database (`-sharedDb`), whatever region and
 * credentials they sign with. The Java process exits by itself when this Node process
 * goes away, even if it is killed.
 *
 * @throws SetupError `JAVA_NOT_FOUND` (checked before anything is downloaded), the errors
 *   of {@link ensureDynamoDbLocal}, or `DYNAMODB_LOCAL_START_FAILED` with the last lines
 *   Java printed.
 */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const java = await findJava(env);
  const { dir } = await ensureDynamoDbLocal(options);
  if (!(await isFile(LAUNCHER_SOURCE))) {
    throw new SetupError('DYNAMODB_LOCAL_START_FAILED', `The DynamoDB Local launcher ${LAUNCHER_SOURCE} is missing; run Sentinel from its source tree.`);
  }

  const lib = path.join(dir, LIB);
  const child = spawn(
    java,
    [
      // C1 only: halves the start-up time (the launcher is compiled on every start), and a
      // development database never runs long enough for C2's peak speed to matter.
      '-XX:TieredStopAtLevel=1',
      `-Djava.library.path=${lib}`,
      '-cp',
      [path.join(dir, JAR), path.join(lib, '*')].join(path.delimiter),
      LAUNCHER_SOURCE,
      '-inMemory',
      '-sharedDb',
      '-port',
      String(options.port ?? 0),
      '-disableTelemetry',
    ],
    // stdin stays an open pipe for the child's whole life: the launcher exits when it closes.
    // DynamoDB Local writes dynamodb-local-metadata.json into its working folder: keep it
    // in the cache, not in whatever folder the developer started from.
    { stdio: ['pipe', 'pipe', 'pipe'], env, cwd: dir },
  );
  child.stdin.on('error', () => {
    // Nothing is ever written; a broken pipe only means Java has exited, which `close` reports.
  });

  const tail: string[] = [];
  let announcedPort: ((port: number) => void) | undefined;
  const portAnnounced = new Promise<number>((resolve) => (announcedPort = resolve));
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    options.output?.(line);
    const match = PORT_LINE.exec(line);
    if (match?.[1] !== undefined) announcedPort?.(Number(match[1]));
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);

  let exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
  let ready = false;
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => {
    // `close`, not `exit`: it comes after Java's output has been read to the end, so the
    // error of a failed start has all of it.
    child.once('close', (code, signal) => {
      exit = { code, signal };
      if (ready && stopping === undefined) log(`DynamoDB Local exited unexpectedly (${signal ?? `code ${code}`}).`);
      resolve();
    });
    // Spawning itself failed (e.g. not executable): there is no process to wait for.
    child.once('error', (error) => {
      exit ??= { code: null, signal: null, error };
      resolve();
    });
  });

  const deadline = Date.now() + timeoutMs;
  const failed = async (problem: string, cause?: unknown): Promise<never> => {
    const stoppedByUs = exit === undefined;
    if (exit === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    const output = tail.length > 0 ? `\nJava's last output:\n${tail.map((line) => `  ${line}`).join('\n')}` : '\nJava printed nothing.';
    // The usual reason Java exits at once is a runtime that cannot run the launcher.
    const hint =
      exit !== undefined && !stoppedByUs
        ? ` It needs a Java 17+ runtime that includes the jdk.compiler module (any JDK, or Debian/Ubuntu's openjdk-17-jre-headless) to run its launcher.`
        : '';
    throw new SetupError('DYNAMODB_LOCAL_START_FAILED', `DynamoDB Local did not start: ${problem} (java: ${java}).${hint}${output}`, {
      cause: cause ?? exit?.error,
    });
  };
  const exitDescription = (): string =>
    exit?.error !== undefined ? 'Java could not be run' : `Java exited (${exit?.signal ?? `code ${exit?.code}`})`;

  const timer = new AbortController();
  const timedOut = sleep(timeoutMs, 'timeout' as const, { signal: timer.signal }).catch(() => 'cancelled' as const);
  try {
    const first = await Promise.race([portAnnounced, exited.then(() => 'exited' as const), timedOut]);
    if (first === 'exited') return await failed(exitDescription());
    if (first === 'timeout' || first === 'cancelled') return await failed(`no port announced within ${timeoutMs / 1000} s`);

    const endpoint = `http://127.0.0.1:${first}`;
    const lastError = await waitUntilServing(endpoint, deadline, () => exit !== undefined);
    if (exit !== undefined) return await failed(exitDescription());
    if (lastError !== undefined) return await failed(`${endpoint} did not answer ListTables within ${timeoutMs / 1000} s`, lastError);

    ready = true;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        if (exit !== undefined) return;
        const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        child.kill('SIGTERM');
        await exited;
        clearTimeout(escalate);
      })();
      return stopping;
    };
    return { endpoint, port: first, pid: child.pid ?? 0, stop };
  } finally {
    timer.abort();
  }
}

/** Polls `ListTables` until it succeeds (returns undefined), the deadline passes or the process exits (returns the last error). */
async function waitUntilServing(endpoint: string, deadline: number, hasExited: () => boolean): Promise<unknown> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
  let lastError: unknown = new Error('not attempted');
  try {
    while (!hasExited() && Date.now() < deadline) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return undefined;
      } catch (error) {
        lastError = error;
        await sleep(100);
      }
    }
    return lastError;
  } finally {
    client.destroy();
  }
}

type InstallState = 'complete' | 'absent' | 'damaged';

async function checkInstall(dir: string, distribution: DynamoDbLocalDistribution): Promise<InstallState> {
  try {
    const actual = await sha256(path.join(dir, JAR));
    return actual === distribution.jarSha256 && (await isDirectory(path.join(dir, LIB))) ? 'complete' : 'damaged';
  } catch (error) {
    if (isCode(error, 'ENOENT')) return (await exists(dir)) ? 'damaged' : 'absent';
    throw error;
  }
}

/** Moves a damaged install out of the way first, so no reader ever sees it half deleted. */
async function discard(dir: string, root: string): Promise<void> {
  const aside = path.join(root, `.discard-${randomBytes(6).toString('hex')}`);
  try {
    await rename(dir, aside);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return; // another process discarded it already
    throw error;
  }
  await rm(aside, { recursive: true, force: true });
}

async function removeAbandonedInstalls(root: string): Promise<void> {
  const now = Date.now();
  for (const entry of await readdir(root)) {
    if (!entry.startsWith('.install-') && !entry.startsWith('.discard-')) continue;
    const entryPath = path.join(root, entry);
    const info = await stat(entryPath).catch(() => undefined);
    if (info !== undefined && now - info.mtimeMs > ABANDONED_INSTALL_MS) await rm(entryPath, { recursive: true, force: true });
  }
}

/** The default {@link FetchTarball}: `npm pack`, so the user's registry, proxy and CA settings apply. */
async function npmPack(spec: string, destinationDir: string): Promise<string> {
  try {
    await execFileAsync('npm', ['pack', spec, '--pack-destination', destinationDir, '--ignore-scripts', '--silent'], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    throw new SetupError(
      'DYNAMODB_LOCAL_DOWNLOAD_FAILED',
      `Could not download DynamoDB Local: "npm pack ${spec}" failed. Check that npm can reach its registry (npm config get registry).`,
      { cause: error },
    );
  }
  const tarballs = (await readdir(destinationDir)).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1 || tarballs[0] === undefined) {
    throw new SetupError('DYNAMODB_LOCAL_DOWNLOAD_FAILED', `Could not download DynamoDB Local: "npm pack ${spec}" wrote no tarball.`);
  }
  return path.join(destinationDir, tarballs[0]);
}

/** Unpacks just {@link TARBALL_MEMBERS} with the system tar (GNU tar and bsdtar accept these options). */
async function extract(tarball: string, destinationDir: string, spec: string): Promise<void> {
  try {
    await execFileAsync(
      'tar',
      ['-xzf', tarball, '-C', destinationDir, '--strip-components=2', '--exclude=*.dll', '--exclude=*.dylib', ...TARBALL_MEMBERS],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    throw new SetupError('DYNAMODB_LOCAL_INSTALL_FAILED', `Could not unpack DynamoDB Local from ${spec} with tar.`, { cause: error });
  }
}

/** The file's integrity in the form of `expected` (`<algorithm>-<base64>`). */
async function fileIntegrity(file: string, expected: string): Promise<string> {
  const algorithm = /^(sha256|sha384|sha512)-/.exec(expected)?.[1];
  if (algorithm === undefined) throw new SetupError('DYNAMODB_LOCAL_INSTALL_FAILED', `Unsupported integrity pin ${expected}.`);
  return `${algorithm}-${await digest(file, algorithm, 'base64')}`;
}

function sha256(file: string): Promise<string> {
  return digest(file, 'sha256', 'hex');
}

async function digest(file: string, algorithm: string, encoding: 'hex' | 'base64'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest(encoding);
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return await isFile(file);
  } catch {
    return false;
  }
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' && codes.includes(error.code);
}
