import { openQueue, type JobQueuePort } from '../../src/queue/index.js';
import type { ReplyTarget } from '../../src/queue/port.js';
import type { JobSpec } from '../../src/queue/types.js';

/**
 * A queue that kept one job across a restart, as the distributed queue does: the job is submitted
 * when the app opens its queue, and `resumable()` hands it back with a copy of its request (the
 * queue moves the submitted bytes to its worker).
 */
export function keptQueue(spec: JobSpec & { reply: ReplyTarget }): typeof openQueue {
  return async (...args) => {
    const queue = await openQueue(...args);
    await queue.ready();
    const kept = structuredClone(spec);
    const submitted = await queue.submit(spec);
    if (!submitted.accepted) throw new Error(submitted.message);
    return Object.assign(Object.create(queue) as JobQueuePort, {
      resumable: async () => [{ ...kept, jobId: submitted.jobId }],
    });
  };
}
