/**
 * Does a running job stall the main thread (and so the chat connections on it)? While a 512 px
 * job runs in the engine worker, measures the main thread's event-loop delay and prints one JSON
 * line. Target: p99 < 50 ms.
 *
 *   npx tsx bench/event-loop.ts [--iterations 6]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInProcessQueue } from '../src/queue/index.js';
import { WEIGHTS, image } from '../test/support/fixtures.js';

const arg = process.argv.indexOf('--iterations');
const iterations = arg > 0 ? Number(process.argv[arg + 1]) : 6;

const queue = createInProcessQueue({ engine: { weights: WEIGHTS }, progressIntervalMs: 1000 });
const engine = await queue.ready();
const histogram = monitorEventLoopDelay({ resolution: 10 });
const started = performance.now();
histogram.enable();
const submitted = await queue.submit({
  owner: { userId: 'bench', platform: 'cli' },
  requestId: 'bench-event-loop',
  request: {
    content: image('chicago.jpg'),
    styles: [{ bytes: image('udnie.jpg') }],
    options: { size: 512, iterations },
  },
  previewAt: [0.5],
});
if (!submitted.accepted) throw new Error(submitted.message);
let progressEvents = 0;
queue.watch(submitted.jobId, (event) => {
  if (event.type === 'progress') progressEvents += 1;
});
const outcome = await queue.outcome(submitted.jobId);
histogram.disable();
const jobMs = performance.now() - started;
await queue.shutdown({ graceMs: 0 });

const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
console.log(
  JSON.stringify({
    bench: 'event-loop-delay',
    backend: engine.backend,
    threads: engine.threads,
    size: 512,
    iterations,
    status: outcome.status,
    jobMs: Math.round(jobMs),
    progressEvents,
    samples: histogram.count,
    p50Ms: ms(histogram.percentile(50)),
    p99Ms: ms(histogram.percentile(99)),
    maxMs: ms(histogram.max),
    // Samples are taken every 10 ms, so 10 ms is the floor: a delay of d ms shows as about 10 + d.
    resolutionMs: 10,
    targetP99Ms: 50,
  }),
);
if (outcome.status !== 'done') process.exitCode = 1;
