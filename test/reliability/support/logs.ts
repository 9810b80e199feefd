/**
 * A Powertools logger that keeps every line it would print, exactly as it would print
 * it (the JSON the Lambda runtime sends to CloudWatch), at every level: the
 * reliability parts scan these lines for secrets.
 */

import { Logger } from '@aws-lambda-powertools/logger';

export interface CapturingLogger {
  logger: Logger;
  /** Every line printed so far, in order. */
  readonly lines: string[];
}

export function capturingLogger(serviceName = 'sentinel'): CapturingLogger {
  const lines: string[] = [];
  class Capturing extends Logger {
    protected override printLog(...args: Parameters<Logger['printLog']>): void {
      const [, log] = args;
      log.prepareForPrint();
      lines.push(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
    }
    protected override createLogger(options?: ConstructorParameters<typeof Logger>[0]): Logger {
      return new Capturing(options);
    }
  }
  return { logger: new Capturing({ serviceName, logLevel: 'DEBUG' }), lines };
}
