import type { Caller } from '../../src/identity/types.js';

/** An IAM Identity Center person of account 000000000000, as the HTTP stack resolves one: the bare sign-in name. */
export function person(name: string): Caller {
  return {
    user: name,
    arn: `arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Engineer_5c1f0e9a7b3d2468/${name}`,
    accountId: '000000000000',
    kind: 'person',
    principal: `person/${name}`,
  };
}
