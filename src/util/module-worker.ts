/**
 * Starts a worker thread on a module. Dev and tests run the TypeScript sources, the build runs
 * plain `dist/*.js`; Node 20 does not apply `--import tsx` hooks to a worker's entry module, so a
 * `.ts` entry starts from a small bootstrap that registers tsx inside the thread first.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function spawnModuleWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const bootstrap =
    `import(${JSON.stringify(tsxApiUrl())})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })` +
    `.catch((e) => { process.nextTick(() => { throw e; }); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** tsx's ESM API (the `import` condition of `tsx/esm/api`), found from this file, not the cwd. */
function tsxApiUrl(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
}
