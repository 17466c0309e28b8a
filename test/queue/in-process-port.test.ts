import { createInProcessQueue } from '../../src/queue/index.js';
import { WEIGHTS } from '../support/fixtures.js';
import { CONTRACT_ENGINE, describePortContract } from './port-contract.js';

describePortContract('in-process queue', async (limits) =>
  createInProcessQueue({ engine: { weights: WEIGHTS }, workerEntry: CONTRACT_ENGINE, progressIntervalMs: 0, ...limits }),
);
