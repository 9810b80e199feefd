/**
 * The deployment's notifier, made once per runtime from its configuration: the webhook
 * (signing secret read by ARN on first use) and/or SNS; none configured, nothing is
 * sent. The local stack passes its own (events printed on its console). Only the
 * functions that change state import this.
 */

import { secretReader, snsSink } from '../aws/notifications.js';
import { NO_NOTIFIER, type Notifier } from '../notify/events.js';
import { fanOut, type Sink } from '../notify/notifier.js';
import { webhookSender } from '../notify/webhook.js';
import { perRuntime } from './runtime.js';

export const notifier = /* @__PURE__ */ perRuntime((runtime): Notifier => {
  if (runtime.overrides.notifier !== undefined) return runtime.overrides.notifier;
  const { webhookUrl, webhookSecretArn, snsTopicArn } = runtime.config.notifications;
  const sinks: Sink[] = [];
  if (webhookUrl !== undefined && webhookSecretArn !== undefined) {
    const send = webhookSender({ url: webhookUrl, secret: secretReader(webhookSecretArn, runtime.config.region) });
    sinks.push({ name: 'webhook', send: (_event, body) => send(body) });
  }
  if (snsTopicArn !== undefined) sinks.push(snsSink(snsTopicArn, runtime.config.region));
  return sinks.length === 0 ? NO_NOTIFIER : fanOut(sinks, runtime.logger);
});
