/**
 * The IAM policy document that provisions and operates one Sentinel table
 * (DESIGN.md, Provisioning): for an administrator to attach to the role that runs the
 * provisioning function, or to review before creating tables by hand. Pure: the
 * account and region are the deployment's own, never `*`.
 */

import type { IamPolicyDocument } from '../api/contract.js';
import { SentinelError } from '../errors.js';
import type { TableKind } from './schemas.js';

/** Where the table lives. `partition` defaults from the region (`cn-*`, `us-gov-*`, else `aws`). */
export interface PolicyTarget {
  accountId: string;
  region: string;
  partition?: string;
}

/** The `<Kind>` of the Sids; sessions is singular, exactly as the issue names it. */
const SID_NAMES: Record<TableKind, string> = {
  sessions: 'Session',
  requests: 'Requests',
  breakglass: 'Breakglass',
  config: 'Config',
};

/** The AWS partition of `region`: China and GovCloud regions have their own ARNs. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The policy for table `table` of `kind` in `target`'s account and region: one
 * statement to create and finish the table, one to read and write its items.
 */
export function tableIamPolicy(kind: TableKind, table: string, target: PolicyTarget): IamPolicyDocument {
  if (!/^\d{12}$/.test(target.accountId)) {
    // Never fall back to `*`: a policy for every account's table of that name is not what anyone reviews.
    throw new SentinelError('INVALID_REQUEST', `the account id must be 12 digits, not "${target.accountId}"`);
  }
  if (!/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(target.region)) {
    throw new SentinelError('INVALID_REQUEST', `"${target.region}" is not an AWS region name`);
  }
  const partition = target.partition ?? partitionOf(target.region);
  const tableArn = `arn:${partition}:dynamodb:${target.region}:${target.accountId}:table/${table}`;
  const name = SID_NAMES[kind];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        // Create the table (with its tags, hence TagResource) and, once ACTIVE, turn on TTL and
        // point-in-time recovery; the Describe actions let the plan compare it with its schema.
        Sid: `Sentinel${name}TableProvisioning`,
        Effect: 'Allow',
        Action: [
          'dynamodb:CreateTable',
          'dynamodb:DescribeTable',
          'dynamodb:UpdateTimeToLive',
          'dynamodb:DescribeTimeToLive',
          'dynamodb:UpdateContinuousBackups',
          'dynamodb:DescribeContinuousBackups',
          'dynamodb:TagResource',
        ],
        Resource: [tableArn],
      },
      {
        // Read and write the table's items, and query its indexes (an index is its own resource, `/index/<name>`).
        Sid: `Sentinel${name}TableOperations`,
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        Resource: [tableArn, `${tableArn}/index/*`],
      },
    ],
  };
}
