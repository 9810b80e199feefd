import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  defaultCacheDir,
  DYNAMODB_LOCAL_DISTRIBUTION,
  DYNAMODB_LOCAL_PACKAGE_INTEGRITY,
  ensureDynamoDbLocal,
  findJava,
  startDynamoDbLocal,
} from '../../../src/local/dynamodbLocal.js';
import type { DynamoDbLocalDistribution, FetchTarball } from '../../../src/local/dynamodbLocal.js';

let scratch: string;
let cacheDir: string;

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'sentinel-ddbl-unit-'));
  cacheDir = path.join(scratch, 'cache');
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Every file below `dir` (relative paths), or [] when it does not exist. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
      .sort();
  } catch {
    return [];
  }
}

/** A small tarball laid out like amplify-dynamodb-simulator's, and the pins that match it. */
function fakeTarball(): { tarball: string; distribution: DynamoDbLocalDistribution } {
  const root = path.join(scratch, 'fake-package');
  const emulator = path.join(root, 'package', 'emulator');
  mkdirSync(path.join(emulator, 'DynamoDBLocal_lib'), { recursive: true });
  writeFileSync(path.join(root, 'package', 'package.json'), '{"name":"fake"}');
  writeFileSync(path.join(emulator, 'DynamoDBLocal.jar'), 'not really a jar');
  writeFileSync(path.join(emulator, 'LICENSE.txt'), 'licence');
  writeFileSync(path.join(emulator, 'THIRD-PARTY-LICENSES.txt'), 'third-party licences');
  writeFileSync(path.join(emulator, 'README.txt'), 'readme');
  for (const name of ['sqlite4java.jar', 'libsqlite4java-linux-amd64.so', 'sqlite4java-win32-x64.dll', 'libsqlite4java-osx.dylib']) {
    writeFileSync(path.join(emulator, 'DynamoDBLocal_lib', name), name);
  }
  const tarball = path.join(scratch, 'fake-2.0.0.tgz');
  execFileSync('tar', ['-czf', tarball, '-C', root, 'package']);
  const distribution: DynamoDbLocalDistribution = {
    packageName: 'fake-dynamodb-local',
    version: '2.0.0',
    integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
    jarSha256: createHash('sha256').update('not really a jar').digest('hex'),
  };
  return { tarball, distribution };
}

/** A FetchTarball that "downloads" by copying `tarball`. */
function copying(tarball: string) {
  return vi.fn<FetchTarball>(async (_spec, destinationDir) => {
    const target = path.join(destinationDir, path.basename(tarball));
    copyFileSync(tarball, target);
    return target;
  });
}

describe('ensureDynamoDbLocal', () => {
  it('refuses a tarball that does not match the pinned integrity and leaves nothing in the cache', async () => {
    const { tarball } = fakeTarball();
    const fetchTarball = copying(tarball);

    const failure = ensureDynamoDbLocal({ cacheDir, fetchTarball });

    await expect(failure).rejects.toMatchObject({ name: 'SetupError', code: 'DYNAMODB_LOCAL_CHECKSUM_MISMATCH' });
    await expect(failure).rejects.toThrow(`amplify-dynamodb-simulator@2.9.30 tarball does not match the pinned checksum (expected ${DYNAMODB_LOCAL_PACKAGE_INTEGRITY}`);
    expect(fetchTarball).toHaveBeenCalledWith('amplify-dynamodb-simulator@2.9.30', expect.any(String));
    expect(filesUnder(cacheDir)).toEqual([]);
  });

  it('refuses a tarball whose DynamoDBLocal.jar does not match the pinned SHA-256 and leaves nothing in the cache', async () => {
    const { tarball, distribution } = fakeTarball();

    const failure = ensureDynamoDbLocal({ cacheDir, fetchTarball: copying(tarball), distribution: { ...distribution, jarSha256: DYNAMODB_LOCAL_DISTRIBUTION.jarSha256 } });

    await expect(failure).rejects.toMatchObject({ code: 'DYNAMODB_LOCAL_CHECKSUM_MISMATCH' });
    await expect(failure).rejects.toThrow('DynamoDBLocal.jar in fake-dynamodb-local@2.0.0 does not match the pinned SHA-256');
    expect(filesUnder(cacheDir)).toEqual([]);
  });

  it('installs the jar, its libraries (without Windows and macOS natives) and the licences; a second call does not download', async () => {
    const { tarball, distribution } = fakeTarball();
    const fetchTarball = copying(tarball);
    const log = vi.fn();

    const first = await ensureDynamoDbLocal({ cacheDir, fetchTarball, distribution, log });

    expect(first).toEqual({ dir: path.join(cacheDir, 'dynamodb-local', '2.0.0'), downloaded: true });
    expect(filesUnder(path.join(cacheDir, 'dynamodb-local'))).toEqual([
      path.join('2.0.0', 'DynamoDBLocal.jar'),
      path.join('2.0.0', 'DynamoDBLocal_lib', 'libsqlite4java-linux-amd64.so'),
      path.join('2.0.0', 'DynamoDBLocal_lib', 'sqlite4java.jar'),
      path.join('2.0.0', 'LICENSE.txt'),
      path.join('2.0.0', 'THIRD-PARTY-LICENSES.txt'),
    ]);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^Downloading DynamoDB Local \(fake-dynamodb-local@2\.0\.0\)/));

    const second = await ensureDynamoDbLocal({ cacheDir, fetchTarball, distribution });

    expect(second).toEqual({ dir: first.dir, downloaded: false });
    expect(fetchTarball).toHaveBeenCalledTimes(1);
  });

  it('lets two installs race: both succeed with the same complete folder', async () => {
    const { tarball, distribution } = fakeTarball();
    // Both downloads are in flight before either finishes, so both try to move their copy into place.
    let arrivals = 0;
    let releaseBoth: () => void = () => {};
    const bothArrived = new Promise<void>((resolve) => (releaseBoth = resolve));
    const copy = copying(tarball);
    const fetchTarball: FetchTarball = async (spec, destinationDir) => {
      arrivals += 1;
      if (arrivals === 2) releaseBoth();
      await bothArrived;
      return copy(spec, destinationDir);
    };

    const results = await Promise.all([ensureDynamoDbLocal({ cacheDir, fetchTarball, distribution }), ensureDynamoDbLocal({ cacheDir, fetchTarball, distribution })]);

    expect(results.map((result) => result.dir)).toEqual([path.join(cacheDir, 'dynamodb-local', '2.0.0'), path.join(cacheDir, 'dynamodb-local', '2.0.0')]);
    expect(readdirSync(path.join(cacheDir, 'dynamodb-local'))).toEqual(['2.0.0']);
    expect(readFileSync(path.join(results[0]?.dir ?? '', 'DynamoDBLocal.jar'), 'utf8')).toBe('not really a jar');
  });

  it('replaces a cached install whose jar was damaged', async () => {
    const { tarball, distribution } = fakeTarball();
    const fetchTarball = copying(tarball);
    const { dir } = await ensureDynamoDbLocal({ cacheDir, fetchTarball, distribution });
    writeFileSync(path.join(dir, 'DynamoDBLocal.jar'), 'truncated');

    const again = await ensureDynamoDbLocal({ cacheDir, fetchTarball, distribution });

    expect(again.downloaded).toBe(true);
    expect(readFileSync(path.join(dir, 'DynamoDBLocal.jar'), 'utf8')).toBe('not really a jar');
  });
});

describe('defaultCacheDir', () => {
  it('uses SENTINEL_CACHE_DIR, else $XDG_CACHE_HOME/sentinel, else ~/.cache/sentinel', () => {
    expect(defaultCacheDir({ SENTINEL_CACHE_DIR: '/srv/cache', XDG_CACHE_HOME: '/xdg' })).toBe('/srv/cache');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/sentinel');
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'sentinel'));
  });
});

describe('findJava', () => {
  function fakeJava(dir: string, script = 'exit 0'): string {
    mkdirSync(dir, { recursive: true });
    const java = path.join(dir, 'java');
    writeFileSync(java, `#!/bin/sh\n${script}\n`);
    chmodSync(java, 0o755);
    return java;
  }

  it('explains how to install Java when there is none in JAVA_HOME or on PATH', async () => {
    const emptyDir = path.join(scratch, 'empty');
    mkdirSync(emptyDir);

    const failure = findJava({ PATH: emptyDir, JAVA_HOME: path.join(scratch, 'no-jdk') });

    await expect(failure).rejects.toMatchObject({ name: 'SetupError', code: 'JAVA_NOT_FOUND' });
    await expect(failure).rejects.toThrow(/needs a Java 17\+ runtime/);
    await expect(failure).rejects.toThrow('sudo apt-get install openjdk-17-jre-headless');
    await expect(failure).rejects.toThrow('brew install openjdk@17');
    await expect(failure).rejects.toThrow(`JAVA_HOME is set to ${path.join(scratch, 'no-jdk')}`);
  });

  it('prefers $JAVA_HOME/bin/java over java on PATH, and falls back to PATH', async () => {
    const onPath = fakeJava(path.join(scratch, 'path-bin'));
    const inHome = fakeJava(path.join(scratch, 'jdk', 'bin'));

    await expect(findJava({ PATH: path.dirname(onPath), JAVA_HOME: path.join(scratch, 'jdk') })).resolves.toBe(inHome);
    await expect(findJava({ PATH: path.dirname(onPath) })).resolves.toBe(onPath);
  });

  it('makes startDynamoDbLocal fail with JAVA_NOT_FOUND before downloading anything', async () => {
    const emptyDir = path.join(scratch, 'empty');
    mkdirSync(emptyDir);
    const fetchTarball = vi.fn<FetchTarball>();

    await expect(startDynamoDbLocal({ cacheDir, fetchTarball, env: { PATH: emptyDir } })).rejects.toMatchObject({ code: 'JAVA_NOT_FOUND' });
    expect(fetchTarball).not.toHaveBeenCalled();
    expect(filesUnder(cacheDir)).toEqual([]);
  });
});

describe('startDynamoDbLocal when Java fails', () => {
  function javaHomeWith(script: string): string {
    const home = path.join(scratch, 'broken-jdk');
    mkdirSync(path.join(home, 'bin'), { recursive: true });
    writeFileSync(path.join(home, 'bin', 'java'), `#!/bin/sh\n${script}\n`);
    chmodSync(path.join(home, 'bin', 'java'), 0o755);
    return home;
  }

  it("reports Java's last output when Java exits during start-up", async () => {
    const { tarball, distribution } = fakeTarball();
    const javaHome = javaHomeWith('echo "Error: Could not find or load main class" >&2\necho "Caused by: java.lang.ClassNotFoundException"\nexit 1');

    const failure = startDynamoDbLocal({ cacheDir, fetchTarball: copying(tarball), distribution, env: { JAVA_HOME: javaHome } });

    await expect(failure).rejects.toMatchObject({ code: 'DYNAMODB_LOCAL_START_FAILED' });
    await expect(failure).rejects.toThrow(/Java exited \(code 1\)/);
    await expect(failure).rejects.toThrow(/Error: Could not find or load main class/);
    await expect(failure).rejects.toThrow(/Caused by: java\.lang\.ClassNotFoundException/);
  });

  it('gives up after startTimeoutMs when no port is announced, with what Java printed', async () => {
    const { tarball, distribution } = fakeTarball();
    const javaHome = javaHomeWith('echo "Initializing DynamoDB Local"\nexec sleep 30');

    const failure = startDynamoDbLocal({ cacheDir, fetchTarball: copying(tarball), distribution, env: { JAVA_HOME: javaHome }, startTimeoutMs: 300 });

    await expect(failure).rejects.toMatchObject({ code: 'DYNAMODB_LOCAL_START_FAILED' });
    await expect(failure).rejects.toThrow(/no port announced within 0\.3 s[\s\S]*Initializing DynamoDB Local/);
  });
});
