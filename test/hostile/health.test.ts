/**
 * Issue 24, item 11: /healthz knows when no picture can be made. The real app (queue, engine
 * worker, health server) with weights that cannot load answers 503 as soon as the engine has
 * failed to start, before any job has been tried.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { WEIGHTS } from '../support/fixtures.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'stylize-health-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The app with these weights, and /healthz once the engine has tried to load. */
async function healthWith(weights: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const app = await startApp(loadEnv({ VGG19_WEIGHTS: weights, HTTP_PORT: '0' }), createLogger({ level: 'silent' }));
  try {
    await expect(app.queue.ready()).rejects.toThrow();
    const res = await fetch(`http://127.0.0.1:${app.httpPort}/healthz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } finally {
    await app.stop();
  }
}

it('a truncated weight shard: 503, the engine cannot start, without a job having failed', async () => {
  const source = path.dirname(WEIGHTS);
  const copy = path.join(tmp, 'truncated');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(copy);
  for (const f of readdirSync(source)) copyFileSync(path.join(source, f), path.join(copy, f));
  const shard = path.join(copy, 'group1-shard7of20.bin');
  truncateSync(shard, Math.floor(statSync(shard).size / 2));
  const health = await healthWith(path.join(copy, 'model.json'));
  expect(health.status).toBe(503);
  expect(health.body).toMatchObject({ ok: false, status: 'engine cannot start', engine: 'cannot start', engineError: 'weights-corrupt', workerDeathsInARow: 1 });
});

it('missing weights: 503 as well', async () => {
  const health = await healthWith(path.join(tmp, 'nothing-here', 'model.json'));
  expect(health.status).toBe(503);
  expect(health.body).toMatchObject({ ok: false, status: 'engine cannot start', engineError: 'weights-missing' });
});
