/**
 * The notifier of a deployment: the webhook and/or SNS, each optional, each delivery
 * independent. `publish` never throws: a failing sink is logged (with the event's type
 * and id, never its secret) and the state change it announces stands.
 */

import type { Notifier, SentinelEvent } from './events.js';

/** One destination: sends the event's JSON, rejecting on failure. */
export interface Sink {
  name: string;
  send(event: SentinelEvent, body: string): Promise<void>;
}

export interface NotifierLog {
  warn(message: string, fields: Record<string, unknown>): void;
}

export function fanOut(sinks: readonly Sink[], log: NotifierLog): Notifier {
  return {
    publish: async (event) => {
      const body = JSON.stringify(event);
      await Promise.all(
        sinks.map(async (sink) => {
          try {
            await sink.send(event, body);
          } catch (error) {
            log.warn('could not deliver a notification; the change it announces stands', { sink: sink.name, event: event.type, id: event.id, error });
          }
        }),
      );
    },
  };
}
