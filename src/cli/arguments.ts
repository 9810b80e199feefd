/**
 * Option parsers the commands share, with the contract's own rules (src/api/constants.ts),
 * so the CLI refuses exactly what the API would, before any request.
 */

import { InvalidArgumentError } from 'commander';
import { PROFILE_NAME } from '../api/constants.js';

/** `--profile`: a profile name as the policy and the API accept it. */
export function parseProfile(value: string): string {
  if (!PROFILE_NAME.test(value)) throw new InvalidArgumentError('Profile names are 1 to 64 letters, digits, "_", "." and "-".');
  return value;
}
