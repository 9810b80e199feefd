/**
 * The IAM policy document Sentinel must hand out for a sessions table (DESIGN.md,
 * Provisioning), written out once for every surface that shows it: the function, the
 * CLI's `--generate-iam`, and the CLI against the local stack.
 */

import type { IamPolicyDocument } from '../../src/api/contract.js';

/** The whole document for the sessions table whose ARN is `arn`. */
export function expectedSessionTablePolicy(arn: string): IamPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SentinelSessionTableProvisioning',
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
        Resource: [arn],
      },
      {
        Sid: 'SentinelSessionTableOperations',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        Resource: [arn, `${arn}/index/*`],
      },
    ],
  };
}
