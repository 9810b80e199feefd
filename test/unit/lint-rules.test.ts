import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * STYLE.md 3 and DESIGN.md (Layout): src/policy and src/identity are pure, and no
 * domain module takes Lambda event types. These prove the lint rules that keep it
 * so actually fire (and do not fire where the imports are allowed).
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering lint rules', () => {
  it.each([
    ["import { STSClient } from '@aws-sdk/client-sts';", 'src/policy/x.ts'],
    ["import middy from '@middy/core';", 'src/policy/x.ts'],
    ["import { SignatureV4 } from '@smithy/signature-v4';", 'src/identity/x.ts'],
    ["import { Logger } from '@aws-lambda-powertools/logger';", 'src/identity/x.ts'],
    ["import type { APIGatewayProxyEventV2 } from 'aws-lambda';", 'src/policy/x.ts'],
    ["import type { APIGatewayProxyEventV2 } from 'aws-lambda';", 'src/vending/x.ts'],
    ["import type { APIGatewayProxyEventV2 } from 'aws-lambda';", 'src/sessions/x.ts'],
  ])('%s is refused in %s', async (line, file) => {
    const messages = await restrictedImports(`${line}\n`, file);
    expect(messages).toHaveLength(1);
  });

  it.each([
    ["import { STSClient } from '@aws-sdk/client-sts';", 'src/vending/x.ts'],
    ["import type { APIGatewayProxyEventV2 } from 'aws-lambda';", 'src/local/x.ts'],
    ["import type { APIGatewayProxyEventV2 } from 'aws-lambda';", 'functions/x.ts'],
    ["import type { APIGatewayProxyEventV2 } from 'aws-lambda';", 'src/http/x.ts'],
  ])('%s is allowed in %s', async (line, file) => {
    const messages = await restrictedImports(`${line}\n`, file);
    expect(messages).toEqual([]);
  });
});
