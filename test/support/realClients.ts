/**
 * The real AWS clients the end-to-end tests drive, by absolute path (another `aws` or
 * python may come first on PATH): Debian's AWS CLI v2 and botocore for the system Python.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, type TestContext } from 'vitest';

export const AWS_CLI = '/usr/bin/aws';
export const PYTHON = '/usr/bin/python3';

export const awsCliMissing = existsSync(AWS_CLI) ? undefined : `${AWS_CLI} is missing (Debian package awscli)`;
export const botocoreMissing =
  spawnSync(PYTHON, ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0 ? undefined : `${PYTHON} cannot import botocore (Debian package python3-boto3)`;

/** Skips the test when a real client is missing on a developer's machine; in CI it must be there. */
export function requireTool(context: TestContext, missing: string | undefined): void {
  if (missing === undefined) return;
  if (process.env.CI === 'true') expect.fail(`${missing}: .ci/run installs it`);
  context.skip(`${missing}; install it to run this test`);
}
