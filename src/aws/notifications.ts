/**
 * The AWS side of notifications: the SNS sink, and the webhook's signing secret read by
 * ARN from Secrets Manager or Systems Manager Parameter Store (a SecureString), once
 * per function instance. The secret never comes from a plain environment variable.
 */

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SetupError, UnavailableError } from '../errors.js';
import type { Sink } from '../notify/notifier.js';
import { httpHandler, MAX_ATTEMPTS } from './http.js';

/** SNS subjects are at most 100 characters, printable ASCII. */
function subject(summary: string): string {
  return summary.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

export function snsSink(topicArn: string, region: string): Sink {
  const sns = new SNSClient({ region, maxAttempts: MAX_ATTEMPTS, requestHandler: httpHandler() });
  return {
    name: 'sns',
    send: async (event, body) => {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: subject(event.summary),
          Message: body,
          // Subscribers filter on the type (a subscription filter policy on `event`).
          MessageAttributes: { event: { DataType: 'String', StringValue: event.type } },
        }),
      );
    },
  };
}

/**
 * The secret at `arn`: a Secrets Manager secret's string, or a Parameter Store
 * parameter (decrypted). Read once, on first use, then kept; a failed read is retried
 * on the next use (the notification of that change is then lost and logged).
 */
export function secretReader(arn: string, region: string): () => Promise<string> {
  const kind = /^arn:[a-z-]+:(secretsmanager|ssm):/.exec(arn)?.[1];
  if (kind === undefined) throw new SetupError('INVALID_CONFIG', 'SENTINEL_WEBHOOK_SECRET_ARN must be the ARN of a Secrets Manager secret or a Systems Manager parameter');
  let cached: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    let value: string | undefined;
    if (kind === 'secretsmanager') {
      const client = new SecretsManagerClient({ region, maxAttempts: MAX_ATTEMPTS, requestHandler: httpHandler() });
      value = (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
    } else {
      const client = new SSMClient({ region, maxAttempts: MAX_ATTEMPTS, requestHandler: httpHandler() });
      // GetParameter takes the name, or the ARN for a parameter of another account shared with this one; the ARN works for both.
      value = (await client.send(new GetParameterCommand({ Name: arn, WithDecryption: true }))).Parameter?.Value;
    }
    if (value === undefined || value.length < 32) throw new UnavailableError('the webhook signing secret is missing or shorter than 32 characters');
    return value;
  };
  return () => {
    cached ??= read().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
