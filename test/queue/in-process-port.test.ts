import { createInProcessQueue } from '../../src/queue/index.js';
import { WEIGHTS } from '../support/fixtures.js';
import { describePortContract } from './port-contract.js';

describePortContract('in-process queue', async (limits) => createInProcessQueue({ engine: { weights: WEIGHTS }, progressIntervalMs: 0, ...limits }));
