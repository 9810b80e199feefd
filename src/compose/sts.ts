/** The credential issuer: STS, or the local stack's dev issuer. Only the credentials function builds it. */

import { createStsClient } from '../aws/sts.js';
import { SetupError } from '../errors.js';
import { StsCredentialIssuer } from '../vending/StsCredentialIssuer.js';
import { perRuntime } from './runtime.js';

export const issuer = /* @__PURE__ */ perRuntime((runtime) => {
  const chosen = runtime.overrides.issuer ?? new StsCredentialIssuer(createStsClient({ region: runtime.config.region }));
  if (chosen.kind === 'dev' && runtime.config.issuer !== 'dev') {
    // Development credentials must never be minted by a deployed configuration.
    throw new SetupError('INVALID_CONFIG', 'the dev issuer is only for the local stack');
  }
  return chosen;
});
