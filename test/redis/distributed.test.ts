/**
 * The distributed queue end to end: a real redis-server, real worker processes (`npm run worker`)
 * whose engine thread is the fake one (the queue is under test here; test/redis/discord.test.ts runs
 * the real engine through Redis), and chat-side queues talking to them through the port.
 * Each part uses its own key prefix, so one Redis serves them all without mixing their jobs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config.js';
import { checkAdmission } from '../../src/queue/limits.js';
import type { JobEvent, JobQueuePort, SubmitResult } from '../../src/queue/port.js';
import { Registry } from 'prom-client';
import { registerRedisQueueMetrics } from '../../src/queue/redis/metrics.js';
import { createRedisJobQueue, type RedisJobQueue } from '../../src/queue/redis/queue.js';
import type { JobOwner, JobOutcome } from '../../src/queue/types.js';
import { tinyJob } from '../queue/helpers.js';
import { FAKE_BACKEND } from '../support/fake-engine-worker.js';
import {
  freePort,
  startRedis,
  startWorker,
  stopWorker,
  type TestRedis,
  type WorkerProcess,
} from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PNG = [0x89, 0x50, 0x4e, 0x47];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: TestRedis;
const queues: JobQueuePort[] = [];
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
// A failure here is a race between processes: what each worker said last is how to find it.
afterEach(({ task }) => {
  if (task.result?.state !== 'fail') return;
  for (const [i, w] of workers.entries()) {
    const said = w.lines.slice(-15).map(({ time, msg, jobId, stalled }) => ({ time, msg, jobId, stalled }));
    console.error(
      `worker ${i} (pid ${w.child.pid}, ${w.child.exitCode ?? w.child.signalCode ?? 'running'}):`,
      JSON.stringify(said),
    );
  }
});
afterAll(async () => {
  await Promise.allSettled(queues.map((q) => q.shutdown()));
  await Promise.allSettled(workers.map((w) => stopWorker(w, 'SIGKILL')));
  await redis?.dispose();
});

async function chat(
  prefix: string,
  instanceId: string,
  limits = { maxLength: 50, maxPerUser: 5, maxPerServer: 50 },
): Promise<RedisJobQueue> {
  const queue = await createRedisJobQueue({ url: redis.url, prefix, instanceId, limits, reconcileMs: 500 });
  queues.push(queue);
  return queue;
}

/** A 64 px step takes 25 ms: a 40-step job about a second, as on the real engine. */
const STEP_MS = 100;

async function worker(prefix: string, stallS = 3, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = startWorker(
    {
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      WORKER_STALL_S: String(stallS),
      ...env,
    },
    { stepMs: STEP_MS },
  );
  workers.push(w);
  await w.waitFor((l) => l.msg === 'worker ready');
  return w;
}

/** Everything one job's watcher hears, and its outcome. */
function follow(queue: JobQueuePort, jobId: string): { events: JobEvent[]; outcome: Promise<JobOutcome> } {
  const events: JobEvent[] = [];
  queue.watch(jobId, (e) => events.push(e));
  return { events, outcome: queue.outcome(jobId) };
}

function accepted(result: SubmitResult): string {
  if (!result.accepted) throw new Error(`refused: ${result.message}`);
  return result.jobId;
}

const startedOn = (w: WorkerProcess, jobId: string) =>
  w.lines.some((l) => l.msg === 'job started' && l.jobId === jobId);

function expectPicture(outcome: JobOutcome, size: number): void {
  if (outcome.status !== 'done') throw new Error(`not done: ${JSON.stringify(outcome)}`);
  expect([...outcome.result.image.subarray(0, 4)]).toEqual(PNG);
  expect(Math.max(outcome.result.width, outcome.result.height)).toBe(size);
}

describe('start-up without Redis', () => {
  it('says in one line that REDIS_URL cannot be reached, and the worker exits', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    await expect(
      createRedisJobQueue({ url, instanceId: 'x', limits: { maxLength: 1, maxPerUser: 1, maxPerServer: 1 } }),
    ).rejects.toThrow(ConfigError);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: url, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`REDIS_URL=${url}`);
    expect(lines[0]).toMatch(/cannot be reached/);
  });
});

describe('two workers', () => {
  const prefix = 'spread';
  let a: WorkerProcess;
  let b: WorkerProcess;
  let queue: RedisJobQueue;

  beforeAll(async () => {
    [a, b] = await Promise.all([worker(prefix), worker(prefix)]);
    queue = await chat(prefix, 'chat-spread');
  });

  it('share the jobs, and every job gets its picture', async () => {
    const registry = new Registry();
    registerRedisQueueMetrics(registry, queue);
    const ranOn = new Map<string, string | undefined>();
    const stop = queue.onFinished((run) => ranOn.set(run.jobId, run.workerId));
    const ids = await Promise.all(
      ['ann', 'bob', 'cat', 'dan'].map(async (userId) =>
        // Long enough (about a second each) that the first worker is still busy when the next job
        // arrives: a 2-step job finished before the other worker could take one.
        accepted(await queue.submit(tinyJob({ userId }, { size: 64, iterations: 40 }))),
      ),
    );
    const outcomes = await Promise.all(ids.map((id) => queue.outcome(id)));
    for (const outcome of outcomes) expectPicture(outcome, 64);
    stop();
    expect(new Set(ids.map((id) => ranOn.get(id))).size).toBe(2);
    expect(ids.filter((id) => startedOn(a, id)).length).toBeGreaterThan(0);
    expect(ids.filter((id) => startedOn(b, id)).length).toBeGreaterThan(0);
    // Each worker says which runtime it loaded (the fake engine's).
    expect((await queue.workers()).map((w) => w.backend)).toEqual([FAKE_BACKEND, FAKE_BACKEND]);

    // A job that ends before anyone watches it is answered by its first watcher, and only once.
    const early = accepted(await queue.submit(tinyJob({ userId: 'eli' }, { size: 32, iterations: 1 })));
    await expect.poll(() => queue.jobCounts().then((c) => c.completed), { timeout: 30_000 }).toBe(5);
    expectPicture(await queue.outcome(early), 32);
    await expect.poll(() => redis.client.smembers(`${prefix}:owned:chat-spread`)).toEqual([]);

    // What /metrics shows: both workers alive, the four jobs done, durations by worker.
    const text = await registry.metrics();
    expect(text).toContain(`stylize_workers_alive{backend="${FAKE_BACKEND}"} 2`);
    expect(text).toContain('stylize_redis_jobs{state="completed"} 5');
    expect(text).toContain('stylize_redis_queue_depth 0');
    const perWorker = [
      ...text.matchAll(/stylize_worker_job_duration_seconds_count\{worker="([^"]+)",outcome="done"\} (\d+)/g),
    ];
    expect(perWorker).toHaveLength(2);
    expect(perWorker.reduce((sum, m) => sum + Number(m[2]), 0)).toBe(5);
  });

  it('finish the job of a worker killed with -9 on the other one, and the user gets one picture', async () => {
    // Long enough to be still running when it is killed: at 64 px / 16 evaluations it sometimes
    // finished first on a fast machine, and the survivor never had to take it over.
    const id = accepted(await queue.submit(tinyJob({ userId: 'eve' }, { size: 128, iterations: 60 })));
    const { events, outcome } = follow(queue, id);
    await Promise.race([
      a.waitFor((l) => l.msg === 'job started' && l.jobId === id),
      b.waitFor((l) => l.msg === 'job started' && l.jobId === id),
    ]);
    const [victim, survivor] = startedOn(a, id) ? [a, b] : [b, a];
    while (!events.some((e) => e.type === 'progress' && e.progress.step >= 2)) await sleep(50);
    await stopWorker(victim, 'SIGKILL');

    const result = await outcome;
    expectPicture(result, 128);
    expect(startedOn(survivor, id)).toBe(true);
    // Once this chat process no longer owns the job, nothing can settle it again.
    await expect.poll(() => redis.client.smembers(`${prefix}:owned:chat-spread`), { timeout: 15_000 }).toEqual([]);
    expect(events.filter((e) => e.type === 'settled')).toHaveLength(1);
    expect(events.at(-1)!.type).toBe('settled');
    expect(await queue.resumable()).toEqual([]);
  });

  it('fail a job whose worker dies twice, with a sentence, and never run it a third time', async () => {
    const [survivor] = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    const id = accepted(await queue.submit(tinyJob({ userId: 'fay' }, { size: 64, iterations: 1000 })));
    const { events, outcome } = follow(queue, id);
    await survivor!.waitFor((l) => l.msg === 'job started' && l.jobId === id);
    await stopWorker(survivor!, 'SIGKILL');
    // A fresh worker finds the job stalled, runs it again (its one second chance), and dies too.
    const second = await worker(prefix);
    await second.waitFor((l) => l.msg === 'job started' && l.jobId === id, 30_000);
    await stopWorker(second, 'SIGKILL');
    const third = await worker(prefix);

    const result = await outcome;
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'worker-crash' } });
    if (result.status === 'failed') expect(result.failure.message).toMatch(/stopped twice.*please try again/);
    // Jobs are taken in order: once a later job has run on the third worker, the failed one was
    // never going to be.
    const after = accepted(await queue.submit(tinyJob({ userId: 'fay' }, { size: 32, iterations: 1 })));
    expectPicture(await queue.outcome(after), 32);
    expect(startedOn(third, after)).toBe(true);
    expect(startedOn(third, id)).toBe(false);
    await expect.poll(() => redis.client.smembers(`${prefix}:owned:chat-spread`), { timeout: 15_000 }).toEqual([]);
    expect(events.filter((e) => e.type === 'settled')).toHaveLength(1);
    // Its place in the limits is free again.
    await expect.poll(() => redis.client.hlen(`${prefix}:active`), { timeout: 15_000 }).toBe(0);
  });
  it('on SIGTERM hand a job that does not finish in time back to the queue, and another worker takes it', async () => {
    const [other] = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    // The other worker is kept busy before the new one starts, so the new one takes the long job
    // (with both idle, either could take the first: the new one took it in one CI run).
    // 128 px: still running, whatever the new worker's start-up takes (it is cancelled below).
    const busy = accepted(await queue.submit(tinyJob({ userId: 'gil' }, { size: 128, iterations: 1000 })));
    await other!.waitFor((l) => l.msg === 'job started' && l.jobId === busy);
    const leaving = await worker(prefix, 3, { SHUTDOWN_GRACE_S: '1' });
    const id = accepted(await queue.submit(tinyJob({ userId: 'hue' }, { size: 64, iterations: 1000 })));
    const { events, outcome } = follow(queue, id);
    await leaving.waitFor((l) => l.msg === 'job started' && l.jobId === id);
    await queue.cancel(busy, { userId: 'gil' });
    expect(await stopWorker(leaving)).toBe(0);
    expect(leaving.lines.some((l) => l.msg === 'handing the job back to the queue' && l.jobId === id)).toBe(
      true,
    );
    await other!.waitFor((l) => l.msg === 'job started' && l.jobId === id);
    expect(await queue.cancel(id, { userId: 'hue' })).toEqual({ ok: true, was: 'running' });
    expect(await outcome).toEqual({ status: 'cancelled', by: 'hue' });
    expect(events.filter((e) => e.type === 'settled')).toHaveLength(1);
    // Handed back, not stalled: it had not used up its second chance.
    expect(other!.lines.find((l) => l.msg === 'job started' && l.jobId === id)).toMatchObject({ stalled: 0 });
  });
});

describe('a chat process restarted while one job runs and another waits', () => {
  const prefix = 'restart';

  it('answers both again after the restart, through its stored reply targets', async () => {
    await worker(prefix, 10);
    const before = await chat(prefix, 'chat-r');
    const expiresAt = Date.now() + 900_000;
    const reply = (n: number) => ({
      platform: 'discord' as const,
      data: { applicationId: '1', token: `token-${n}`, expiresAt, channelId: `c${n}` },
    });
    const running = accepted(
      await before.submit({ ...tinyJob({ userId: 'gus' }, { size: 64, iterations: 12 }), reply: reply(1) }),
    );
    const waiting = accepted(
      await before.submit({ ...tinyJob({ userId: 'hal' }, { size: 32, iterations: 2 }), reply: reply(2) }),
    );
    const { events } = follow(before, running);
    while (!events.some((e) => e.type === 'progress')) await sleep(50);
    await before.shutdown();

    const after = await chat(prefix, 'chat-r');
    const other = await chat(prefix, 'chat-other');
    expect(await other.resumable()).toEqual([]);
    const resumed = await after.resumable();
    expect(resumed.map((j) => j.jobId).sort()).toEqual([running, waiting].sort());
    const first = resumed.find((j) => j.jobId === running)!;
    expect(first.reply).toEqual(reply(1));
    expect(first.owner.userId).toBe('gus');
    expect(first.request.content.byteLength).toBe(tinyJob({ userId: 'x' }).request.content.byteLength);

    const heard = resumed.map((j) => follow(after, j.jobId));
    const outcomes = await Promise.all(heard.map((h) => h.outcome));
    expectPicture(outcomes[resumed.indexOf(first)]!, 64);
    expectPicture(outcomes[1 - resumed.indexOf(first)]!, 32);
    for (const h of heard) expect(h.events.filter((e) => e.type === 'settled')).toHaveLength(1);
    // Answered now: a further restart has nothing left to resume.
    await expect.poll(() => after.resumable()).toEqual([]);
  });
});

describe('100 submissions from 30 users through two chat processes at once', () => {
  const prefix = 'limits';
  const limits = { maxLength: 24, maxPerUser: 2, maxPerServer: 5 };

  it('accept exactly what the limits allow, and every accepted job settles', async () => {
    const [one, two] = await Promise.all([chat(prefix, 'chat-1', limits), chat(prefix, 'chat-2', limits)]);
    // 6 servers of 5 users; users 0-9 ask 4 times, the others 3 times: 100 in all.
    const owners: JobOwner[] = Array.from({ length: 30 }, (_, i) => ({
      platform: 'discord',
      userId: `u${i}`,
      serverId: `s${i % 6}`,
    }));
    const asks = owners.flatMap((owner, i) => Array.from({ length: i < 10 ? 4 : 3 }, () => owner));
    expect(asks).toHaveLength(100);
    const results = await Promise.all(
      asks.map(async (owner, i) => {
        const via = i % 2 === 0 ? one : two;
        return {
          owner,
          via,
          result: await via.submit({ ...tinyJob(owner, { size: 32, iterations: 1 }), owner }),
        };
      }),
    );
    const ok = results.filter((r) => r.result.accepted);
    // Servers could take 30 (6 × 5) and users 60 (30 × 2); the queue's 24 binds, whatever the order.
    expect(ok).toHaveLength(24);
    const count = (key: (o: JobOwner) => string) => {
      const counts = new Map<string, number>();
      for (const r of ok) counts.set(key(r.owner), (counts.get(key(r.owner)) ?? 0) + 1);
      return Math.max(...counts.values());
    };
    expect(count((o) => o.userId)).toBeLessThanOrEqual(2);
    expect(count((o) => o.serverId!)).toBeLessThanOrEqual(5);
    // Refusals carry the in-process queue's sentences.
    const userSentence = checkAdmission(
      owners[0]!,
      [{ owner: owners[0]! }, { owner: owners[0]! }],
      limits,
      false,
    )!.message;
    for (const r of results) {
      if (r.result.accepted) continue;
      expect(['user-limit', 'server-limit', 'queue-full']).toContain(r.result.code);
      if (r.result.code === 'user-limit') expect(r.result.message).toBe(userSentence);
      else
        expect(r.result.message).toMatch(
          r.result.code === 'queue-full'
            ? /queue is full \(24 pictures/
            : /This server already has 5 pictures/,
        );
    }
    const snapshot = await two.snapshot();
    expect(snapshot.length).toBe(24);
    expect(snapshot.jobs.map((j) => j.position)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));

    // Half are cancelled from the other chat process while they wait; two workers run the rest.
    const settled = ok.map((r) => follow(r.via, (r.result as { jobId: string }).jobId));
    const cancels = await Promise.all(
      ok
        .filter((_, i) => i % 2 === 0)
        .map((r) =>
          (r.via === one ? two : one).cancel((r.result as { jobId: string }).jobId, {
            userId: 'mod',
            moderator: true,
          }),
        ),
    );
    expect(cancels.every((c) => c.ok && c.was === 'queued')).toBe(true);
    await Promise.all([worker(prefix), worker(prefix)]);
    const outcomes = await Promise.all(settled.map((s) => s.outcome));
    expect(outcomes.map((o) => o.status)).toEqual(ok.map((_, i) => (i % 2 === 0 ? 'cancelled' : 'done')));
    for (const s of settled) expect(s.events.filter((e) => e.type === 'settled')).toHaveLength(1);
    // Places are freed as jobs end (by the worker, a moment after the outcome is out).
    await expect.poll(() => redis.client.hlen(`${prefix}:active`), { timeout: 5000 }).toBe(0);
    expect(await redis.client.hlen(`${prefix}:count:user`)).toBe(0);
    expect(await redis.client.hlen(`${prefix}:count:server`)).toBe(0);
    await expect.poll(async () => (await one.resumable()).length + (await two.resumable()).length).toBe(0);
  });

  it('stop a running job within a step when cancelled from another chat process', async () => {
    const two = queues.at(-1)!;
    const a = await chat(prefix, 'chat-1b', limits);
    const id = accepted(
      await a.submit(tinyJob({ userId: 'ivy', serverId: 's9' }, { size: 64, iterations: 1000 })),
    );
    const { events, outcome } = follow(a, id);
    while (!events.some((e) => e.type === 'progress' && e.progress.step >= 2)) await sleep(50);
    expect(await two.cancel(id, { userId: 'someone-else' })).toMatchObject({
      ok: false,
      code: 'not-allowed',
    });
    const stepAtCancel = Math.max(...events.flatMap((e) => (e.type === 'progress' ? [e.progress.step] : [])));
    const at = Date.now();
    expect(await two.cancel(id, { userId: 'ivy' })).toEqual({ ok: true, was: 'running' });
    expect(await outcome).toEqual({ status: 'cancelled', by: 'ivy' });
    const lastStep = Math.max(...events.flatMap((e) => (e.type === 'progress' ? [e.progress.step] : [])));
    expect(lastStep - stepAtCancel).toBeLessThanOrEqual(2);
    expect(Date.now() - at).toBeLessThan(5000);
    expect(await two.cancel(id, { userId: 'ivy' })).toMatchObject({ ok: false });
  });
});

describe('Redis stopped for 5 s while a job runs and another waits', () => {
  const prefix = 'outage';

  it('loses nothing: both pictures arrive once Redis is back', async () => {
    await worker(prefix, 10);
    const queue = await chat(prefix, 'chat-o');
    const running = accepted(await queue.submit(tinyJob({ userId: 'jan' }, { size: 64, iterations: 14 })));
    const waiting = accepted(await queue.submit(tinyJob({ userId: 'kim' }, { size: 32, iterations: 2 })));
    const heard = [follow(queue, running), follow(queue, waiting)];
    while (!heard[0]!.events.some((e) => e.type === 'progress')) await sleep(50);

    await redis.stop();
    const stoppedAt = Date.now();
    await expect.poll(() => queue.accepting, { timeout: 5000 }).toBe(false);
    const refused = await queue.submit(tinyJob({ userId: 'lou' }));
    expect(refused).toMatchObject({ accepted: false, code: 'unreachable', message: expect.stringMatching(/cannot be reached/) });
    // The outage lasts its 5 s, whatever the checks above took.
    await sleep(stoppedAt + 5000 - Date.now());
    await redis.start();

    const outcomes = await Promise.all(heard.map((h) => h.outcome));
    expectPicture(outcomes[0]!, 64);
    expectPicture(outcomes[1]!, 32);
    for (const h of heard) expect(h.events.filter((e) => e.type === 'settled')).toHaveLength(1);
    // 5 s is under the 15 s notice threshold: nobody was told their picture is held up.
    for (const h of heard) expect(h.events.filter((e) => e.type === 'delayed')).toHaveLength(0);
    await expect.poll(() => queue.accepting, { timeout: 10_000 }).toBe(true);
  });
});
