/**
 * Notifications (src/notify, src/aws/notifications.ts): a real receiver on 127.0.0.1
 * checks the webhook's signature; failing receivers are retried and never block the
 * caller; SNS and the secret readers with aws-sdk-client-mock.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretReader, snsSink } from '../../../src/aws/notifications.js';
import { loadConfig } from '../../../src/config.js';
import type { SentinelEvent } from '../../../src/notify/events.js';
import { fanOut } from '../../../src/notify/notifier.js';
import { checkWebhookUrl, SIGNATURE_HEADER, signature, TIMESTAMP_HEADER, webhookSender } from '../../../src/notify/webhook.js';

const SECRET = 'a-webhook-signing-secret-of-32-chars-or-more';
const EVENT: SentinelEvent = {
  type: 'request.created',
  at: '2026-12-01T10:00:00.000Z',
  actor: 'alice',
  id: '0123456789abcdef0123456789abcdef',
  profile: 'prod-admin',
  user: 'alice',
  summary: 'alice requests prod-admin for 1h',
  command: 'sentinel approve 0123456789abcdef0123456789abcdef',
  details: { justification: 'incident 42 needs a database fix', durationSeconds: 3600 },
};

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;

/** A receiver on 127.0.0.1 answering each delivery with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[], delayMs = 0): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      setTimeout(() => response.writeHead(status).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server?.address() as AddressInfo).port}/hook`, received };
}

/** What a receiver does: recompute the HMAC over timestamp and raw body, compare in constant time. */
function verifies(delivery: Received, secret: string): boolean {
  const timestamp = String(delivery.headers[TIMESTAMP_HEADER]);
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex')}`);
  const given = Buffer.from(String(delivery.headers[SIGNATURE_HEADER]));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

describe('the webhook', () => {
  it('POSTs the event as JSON with a timestamp and an HMAC-SHA256 signature the receiver verifies', async () => {
    const { url, received } = await receiver([200]);
    const send = webhookSender({ url, secret: async () => SECRET, now: () => new Date('2026-12-01T10:00:05Z') });
    await send(JSON.stringify(EVENT));
    expect(received).toHaveLength(1);
    const [delivery] = received as [Received];
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers[TIMESTAMP_HEADER]).toBe(String(Date.parse('2026-12-01T10:00:05Z') / 1000));
    expect(verifies(delivery, SECRET)).toBe(true);
    expect(verifies(delivery, `${SECRET}x`)).toBe(false);
    expect(JSON.parse(delivery.body)).toEqual(EVENT);
    // A body changed in transit no longer verifies.
    expect(verifies({ ...delivery, body: delivery.body.replace('alice', 'mallory') }, SECRET)).toBe(false);
  });

  it('retries a failing receiver 3 times in all, then rejects; a 4xx refusal is not retried', async () => {
    const failing = await receiver([500, 503, 500]);
    const send = webhookSender({ url: failing.url, secret: async () => SECRET, sleep: async () => undefined });
    await expect(send('{}')).rejects.toThrow('the webhook answered 500');
    expect(failing.received).toHaveLength(3);
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    const refusing = await receiver([400]);
    await expect(webhookSender({ url: refusing.url, secret: async () => SECRET, sleep: async () => undefined })('{}')).rejects.toThrow('answered 400');
    expect(refusing.received).toHaveLength(1);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const slow = await receiver([200], 1000);
    const started = Date.now();
    await expect(webhookSender({ url: slow.url, secret: async () => SECRET, timeoutMs: 100, attempts: 2, sleep: async () => undefined })('{}')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('refuses http:// to anything but this machine, and URLs carrying credentials', () => {
    expect(() => checkWebhookUrl('http://hooks.example.com/x')).toThrow('must be an https:// URL');
    expect(() => checkWebhookUrl('https://user:pw@hooks.example.com/x')).toThrow('must not carry credentials');
    expect(checkWebhookUrl('https://hooks.example.com/x').hostname).toBe('hooks.example.com');
    expect(checkWebhookUrl('http://127.0.0.1:9000/x').port).toBe('9000');
  });

  it('signature() is HMAC-SHA256 over "<timestamp>.<body>"', () => {
    expect(signature('k', 1, 'b')).toBe(`v1=${createHmac('sha256', 'k').update('1.b').digest('hex')}`);
  });
});

describe('fanOut', () => {
  it('never throws: a failing sink is logged, the others still deliver', async () => {
    const warnings: Array<[string, Record<string, unknown>]> = [];
    const delivered: string[] = [];
    const notifier = fanOut(
      [
        { name: 'webhook', send: async () => Promise.reject(new Error('receiver down')) },
        { name: 'sns', send: async (_event, body) => void delivered.push(body) },
      ],
      { warn: (message, fields) => warnings.push([message, fields]) },
    );
    await expect(notifier.publish(EVENT)).resolves.toBeUndefined();
    expect(delivered).toEqual([JSON.stringify(EVENT)]);
    expect(warnings).toEqual([['could not deliver a notification; the change it announces stands', expect.objectContaining({ sink: 'webhook', event: 'request.created', id: EVENT.id })]]);
  });
});

describe('SNS and the signing secret', () => {
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);
  const ssm = mockClient(SSMClient);
  beforeEach(() => {
    sns.reset();
    secrets.reset();
    ssm.reset();
  });

  it('publishes the event with its type as a message attribute subscribers can filter on', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await snsSink('arn:aws:sns:eu-west-1:111122223333:sentinel-events', 'eu-west-1').send(EVENT, JSON.stringify(EVENT));
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      {
        TopicArn: 'arn:aws:sns:eu-west-1:111122223333:sentinel-events',
        Subject: 'alice requests prod-admin for 1h',
        Message: JSON.stringify(EVENT),
        MessageAttributes: { event: { DataType: 'String', StringValue: 'request.created' } },
      },
    ]);
  });

  it('reads the secret once from Secrets Manager or Parameter Store, refuses a short one, retries after a failure', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const fromSecrets = secretReader('arn:aws:secretsmanager:eu-west-1:111122223333:secret:sentinel-webhook-AbCdEf', 'eu-west-1');
    expect(await fromSecrets()).toBe(SECRET);
    expect(await fromSecrets()).toBe(SECRET);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    ssm.on(GetParameterCommand).rejectsOnce(new Error('throttled')).resolves({ Parameter: { Value: 'short' } });
    const fromSsm = secretReader('arn:aws:ssm:eu-west-1:111122223333:parameter/sentinel/webhook', 'eu-west-1');
    await expect(fromSsm()).rejects.toThrow('throttled');
    await expect(fromSsm()).rejects.toThrow('shorter than 32 characters');
    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input)).toEqual([
      { Name: 'arn:aws:ssm:eu-west-1:111122223333:parameter/sentinel/webhook', WithDecryption: true },
      { Name: 'arn:aws:ssm:eu-west-1:111122223333:parameter/sentinel/webhook', WithDecryption: true },
    ]);
  });
});

describe('configuration', () => {
  const base = { AWS_REGION: 'eu-west-1', SENTINEL_ACCOUNT_ID: '111122223333' };

  it('takes a webhook with the ARN of its secret, and an SNS topic', () => {
    const config = loadConfig({
      ...base,
      SENTINEL_WEBHOOK_URL: 'https://hooks.example.com/sentinel',
      SENTINEL_WEBHOOK_SECRET_ARN: 'arn:aws:ssm:eu-west-1:111122223333:parameter/sentinel/webhook',
      SENTINEL_SNS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:sentinel-events',
    });
    expect(config.notifications).toEqual({
      webhookUrl: 'https://hooks.example.com/sentinel',
      webhookSecretArn: 'arn:aws:ssm:eu-west-1:111122223333:parameter/sentinel/webhook',
      snsTopicArn: 'arn:aws:sns:eu-west-1:111122223333:sentinel-events',
    });
  });

  it('refuses plain http, a webhook without a secret ARN, a secret given instead of an ARN, and a bad topic', () => {
    expect(() => loadConfig({ ...base, SENTINEL_WEBHOOK_URL: 'http://hooks.example.com/x', SENTINEL_WEBHOOK_SECRET_ARN: 'arn:aws:ssm:eu-west-1:111122223333:parameter/x' })).toThrow(/SENTINEL_WEBHOOK_URL.*https/);
    expect(() => loadConfig({ ...base, SENTINEL_WEBHOOK_URL: 'https://hooks.example.com/x' })).toThrow(/needs SENTINEL_WEBHOOK_SECRET_ARN/);
    expect(() => loadConfig({ ...base, SENTINEL_WEBHOOK_URL: 'https://hooks.example.com/x', SENTINEL_WEBHOOK_SECRET_ARN: SECRET })).toThrow(/SENTINEL_WEBHOOK_SECRET_ARN.*ARN/);
    expect(() => loadConfig({ ...base, SENTINEL_SNS_TOPIC_ARN: 'sentinel-events' })).toThrow(/SENTINEL_SNS_TOPIC_ARN/);
  });
});
