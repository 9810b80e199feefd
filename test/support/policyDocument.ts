import { gzipSync } from 'node:zlib';
import { encodePolicyDocument } from '../../src/policy/document.js';
import { parsePolicy } from '../../src/policy/parse.js';

/** The `policy`/`v<version>#document` item a push of `text` stores (src/policyStore/DynamoPolicyStore.ts), for tests that mock DynamoDB. */
export function policyDocumentItem(text: string, version = 1): Record<string, unknown> {
  return { pk: 'policy', sk: `v${version}#document`, version, document_gz: gzipSync(encodePolicyDocument(parsePolicy(text))) };
}
