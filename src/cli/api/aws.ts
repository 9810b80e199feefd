/**
 * The AWS SDK pieces the API client uses, loaded on first use.
 *
 * From source they are imported from their packages. The CLI build replaces this
 * module with one that `require`s dist/cli/sentinel-aws.cjs, a separate bundle of the
 * same three exports (scripts/build.mjs): other commands never parse it, and
 * `require` loads it in about half the time `import()` of CommonJS takes. What the
 * credential chain loads only on first use (each provider, the STS and SSO clients) is
 * in bundles of its own beside it, so a static profile loads the shared-file provider
 * and nothing of SSO, STS or the instance metadata service.
 */

import type { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { Hash } from '@smithy/hash-node';
import type { SignatureV4 } from '@smithy/signature-v4';

export interface AwsModules {
  fromNodeProviderChain: typeof fromNodeProviderChain;
  SignatureV4: typeof SignatureV4;
  Hash: typeof Hash;
}

export async function loadAws(): Promise<AwsModules> {
  const [credentials, signer, hash] = await Promise.all([import('@aws-sdk/credential-providers'), import('@smithy/signature-v4'), import('@smithy/hash-node')]);
  return { fromNodeProviderChain: credentials.fromNodeProviderChain, SignatureV4: signer.SignatureV4, Hash: hash.Hash };
}
