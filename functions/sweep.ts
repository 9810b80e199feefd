// Lambda entry of the sweep (scheduled every 5 minutes in serverless.yml; no HTTP route): marks overdue sessions
// expired and completes and prunes the AWS side of revocations (src/compose/sweep.ts).
import { scheduledHandler } from '../src/compose/lambda.js';
import { sweepFunction } from '../src/compose/sweep.js';

export const handler = scheduledHandler('sweep', sweepFunction);
