/**
 * `npx tsx bench/redis-queue.ts [--jobs 8] [--size 64] [--iterations 8]`: the distributed queue's
 * throughput with 1 and 2 worker processes (real redis-server, real workers, real engine), and
 * Redis memory per waiting job. JSON lines on stdout.
 *
 * On one 2-core machine two workers share the same cores, so this measures the queue's overhead
 * and how well two engines share a box, not what a second machine would add.
 */
import { Command } from 'commander';
import { createRedisJobQueue } from '../src/queue/redis/queue.js';
import { tinyJob } from '../test/queue/helpers.js';
import { startRedis, startWorker, stopWorker } from '../test/redis/support.js';

const flags = new Command()
  .option('--jobs <n>', 'jobs per run', '8')
  .option('--size <px>', 'picture size', '64')
  .option('--iterations <n>', 'steps per job', '8')
  .option('--queued <n>', 'jobs for the memory measurement', '50')
  .parse()
  .opts<{ jobs: string; size: string; iterations: string; queued: string }>();
const jobs = Number(flags.jobs);
const size = Number(flags.size);
const iterations = Number(flags.iterations);
const limits = { maxLength: 10_000, maxPerUser: 10_000, maxPerServer: 10_000 };

const redis = await startRedis();
try {
  for (const layout of [
    { workers: 1, threads: 0 },
    { workers: 2, threads: 1 },
    { workers: 2, threads: 0 },
  ]) {
    const prefix = `bench${layout.workers}t${layout.threads}`;
    const procs = Array.from({ length: layout.workers }, () =>
      startWorker({
        REDIS_URL: redis.url,
        REDIS_PREFIX: prefix,
        WASM_THREADS: String(layout.threads),
        LOG_LEVEL: 'info',
      }),
    );
    await Promise.all(procs.map((p) => p.waitFor((l) => l.msg === 'worker ready', 120_000)));
    const queue = await createRedisJobQueue({ url: redis.url, prefix, instanceId: 'bench', limits });
    // One warm-up job per worker: the first job on a fresh engine compiles its kernels.
    const warm = await Promise.all(
      procs.map((_, i) => queue.submit(tinyJob({ userId: `warm${i}` }, { size, iterations: 1 }))),
    );
    await Promise.all(warm.map((r) => (r.accepted ? queue.outcome(r.jobId) : undefined)));
    const engineMs: number[] = [];
    const stop = queue.onFinished((run) => run.runMs !== undefined && engineMs.push(run.runMs));
    const t0 = Date.now();
    const submitted = await Promise.all(
      Array.from({ length: jobs }, (_, i) =>
        queue.submit(tinyJob({ userId: `u${i}` }, { size, iterations })),
      ),
    );
    const outcomes = await Promise.all(
      submitted.map((r) => (r.accepted ? queue.outcome(r.jobId) : undefined)),
    );
    const ms = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
    stop();
    const engineSeconds = engineMs.reduce((a, b) => a + b, 0) / 1000;
    const done = outcomes.filter((o) => o?.status === 'done').length;
    console.log(
      JSON.stringify({
        part: 'throughput',
        ...layout,
        jobs,
        size,
        iterations,
        done,
        seconds: ms / 1000,
        jobsPerMinute: Math.round((done / ms) * 60_000 * 10) / 10,
        // Summed engine time of the jobs; with one worker, wall time minus this is the queue's cost.
        engineSeconds,
        medianJobSeconds: [...engineMs].sort((a, b) => a - b)[engineMs.length >> 1]! / 1000,
      }),
    );
    await queue.shutdown();
    await Promise.all(procs.map((p) => stopWorker(p)));
  }

  // Memory: jobs waiting with no worker, measured by Redis itself.
  const queued = Number(flags.queued);
  const queue = await createRedisJobQueue({
    url: redis.url,
    prefix: 'benchmem',
    instanceId: 'bench',
    limits,
  });
  await redis.client.call('MEMORY', 'PURGE');
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.client.info('memory'))![1]);
  const before = await used();
  const sample = tinyJob({ userId: 'x' });
  for (let i = 0; i < queued; i++) await queue.submit(tinyJob({ userId: `m${i}` }));
  const after = await used();
  const inputBytes = sample.request.content.byteLength + sample.request.styles[0]!.bytes.byteLength;
  console.log(
    JSON.stringify({
      part: 'memory',
      queued,
      inputBytesPerJob: inputBytes,
      redisBytesPerJob: Math.round((after - before) / queued),
      overheadBytesPerJob: Math.round((after - before) / queued - (inputBytes * 4) / 3),
    }),
  );
  await queue.shutdown();
} finally {
  await redis.dispose();
}
