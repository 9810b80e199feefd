/**
 * TLS for tests: a self-signed certificate made by the openssl command (.ci/run installs
 * it when missing) for one host name, valid for a day, in a directory the test owns.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export interface TestCertificate {
  /** The certificate, PEM: trusted by a client given it as its CA (`NODE_EXTRA_CA_CERTS=certFile`). */
  cert: string;
  certFile: string;
  key: string;
}

export async function selfSignedCertificate(directory: string, hostName = 'localhost'): Promise<TestCertificate> {
  const certFile = path.join(directory, `${hostName}.crt`);
  const keyFile = path.join(directory, `${hostName}.key`);
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${hostName}`, '-addext', `subjectAltName=DNS:${hostName}`, '-keyout', keyFile, '-out', certFile,
  ]);
  return { cert: await readFile(certFile, 'utf8'), certFile, key: await readFile(keyFile, 'utf8') };
}
