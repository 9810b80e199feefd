import { describe, expect, it } from 'vitest';
import { partitionOf, tableIamPolicy } from '../../../src/provisioning/iamPolicy.js';
import { caught } from '../../support/caught.js';
import { expectedSessionTablePolicy } from '../../support/iamPolicy.js';

const TARGET = { accountId: '111122223333', region: 'eu-west-1' };
const SESSIONS_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/sentinel-sessions';

describe('tableIamPolicy', () => {
  it('gives the sessions table exactly the two statements the issue names', () => {
    const policy = tableIamPolicy('sessions', 'sentinel-sessions', TARGET);
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.map((statement) => statement.Sid)).toEqual(['SentinelSessionTableProvisioning', 'SentinelSessionTableOperations']);
  });

  it('lets the provisioning statement create, finish and describe the table, and the operations statement use items on it and its indexes — nothing else', () => {
    expect(tableIamPolicy('sessions', 'sentinel-sessions', TARGET)).toEqual(expectedSessionTablePolicy(SESSIONS_ARN));
  });

  it.each([
    ['requests', 'SentinelRequestsTableProvisioning', 'SentinelRequestsTableOperations'],
    ['breakglass', 'SentinelBreakglassTableProvisioning', 'SentinelBreakglassTableOperations'],
    ['config', 'SentinelConfigTableProvisioning', 'SentinelConfigTableOperations'],
  ] as const)('names the %s statements after the kind', (kind, provisioning, operations) => {
    expect(tableIamPolicy(kind, `sentinel-${kind}`, TARGET).Statement.map((statement) => statement.Sid)).toEqual([provisioning, operations]);
  });

  it('uses the real account, region and table name in every resource, never a wildcard account or region', () => {
    const policy = tableIamPolicy('requests', 'sentinel-team-requests', { accountId: '444455556666', region: 'ap-southeast-2' });
    const resources = policy.Statement.flatMap((statement) => statement.Resource);
    expect(resources).toEqual([
      'arn:aws:dynamodb:ap-southeast-2:444455556666:table/sentinel-team-requests',
      'arn:aws:dynamodb:ap-southeast-2:444455556666:table/sentinel-team-requests',
      'arn:aws:dynamodb:ap-southeast-2:444455556666:table/sentinel-team-requests/index/*',
    ]);
    for (const resource of resources) expect(resource.split(':').slice(3, 5)).toEqual(['ap-southeast-2', '444455556666']);
  });

  it.each([
    ['cn-north-1', 'arn:aws-cn:dynamodb:cn-north-1:111122223333:table/sentinel-config'],
    ['us-gov-west-1', 'arn:aws-us-gov:dynamodb:us-gov-west-1:111122223333:table/sentinel-config'],
    ['us-east-1', 'arn:aws:dynamodb:us-east-1:111122223333:table/sentinel-config'],
  ])('uses the partition of %s', (region, arn) => {
    expect(tableIamPolicy('config', 'sentinel-config', { accountId: '111122223333', region }).Statement[0]?.Resource).toEqual([arn]);
  });

  it('takes an explicit partition over the one the region implies', () => {
    expect(partitionOf('eu-west-1')).toBe('aws');
    const policy = tableIamPolicy('config', 'sentinel-config', { ...TARGET, partition: 'aws-eusc' });
    expect(policy.Statement[0]?.Resource).toEqual(['arn:aws-eusc:dynamodb:eu-west-1:111122223333:table/sentinel-config']);
  });

  it('refuses to write a policy for a wildcard or malformed account or region', async () => {
    for (const target of [
      { accountId: '*', region: 'eu-west-1' },
      { accountId: '1111', region: 'eu-west-1' },
      { accountId: '111122223333', region: '*' },
    ]) {
      const error = await caught(Promise.resolve().then(() => tableIamPolicy('sessions', 'sentinel-sessions', target)));
      expect(error.code).toBe('INVALID_REQUEST');
    }
  });
});
