/**
 * Multithreaded tfjs wasm backend under Node.
 *
 * tfjs 4.22 hard-codes WASM_HAS_MULTITHREAD_SUPPORT to false in Node (tfjs#3830). Forcing the flag
 * is not enough, because the Emscripten glue then hands Node's `Worker` two `blob:` URLs it cannot
 * load: the pthread worker script (from `locateFile`) and the main module script
 * (`mainScriptUrlOrBlob`, posted to each worker). While the backend initialises we therefore
 * record the text of every Blob built, write the two scripts to real files, and hand out their
 * paths instead. The module script, stringified out of the CommonJS bundle, also refers to a few
 * bundle-scope helpers (`require$$N`, `commonjsGlobal`, tslib's `__read`...); a prelude defines them.
 *
 * The pool size is read from os.cpus(), halved; it is faked for the duration of the init.
 *
 * Workers are `unref()`ed so that an idle pool never keeps the process alive.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';

const MODULE_MARK = 'var WasmBackendModuleThreadedSimd';
const WORKER_MARK = 'ENVIRONMENT_IS_PTHREAD';

/** Bundle-scope names the stringified module refers to, recreated inside each worker. */
const PRELUDE = `
var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');
var commonjsGlobal = globalThis;
var __values = function (o) { return o[Symbol.iterator](); };
var __read = function (o, n) {
  var it = o[Symbol.iterator](), out = [], r;
  while ((n === undefined || n-- > 0) && !(r = it.next()).done) out.push(r.value);
  return out;
};
var __spreadArray = function (to, from) { return to.concat(Array.prototype.slice.call(from)); };
`;

const liveWorkers = new Set<NodeWorker>();

/**
 * Writes a script under a name derived from its content, in one shared folder, so that processes
 * reuse the files and none is left behind per process (a killed process cannot clean up).
 * Write-then-rename keeps a concurrent reader from seeing half a file.
 */
function writeScript(kind: string, text: string): string {
  const dir = path.join(os.tmpdir(), `stylize-wasm-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${kind}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.js`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, text);
    renameSync(partial, file);
  }
  return file;
}

class TrackedWorker extends NodeWorker {
  constructor(...args: ConstructorParameters<typeof NodeWorker>) {
    super(...args);
    // Idle pthreads wait on futexes forever; they must not hold the event loop open.
    this.unref();
    liveWorkers.add(this);
    this.once('exit', () => liveWorkers.delete(this));
  }

  // The glue ref()s a worker whenever it starts a pthread on it; XNNPACK's pool threads live for
  // ever, so that would keep the process from exiting. The main thread blocks on every pool job,
  // so an unref'd worker never has work the process could exit in the middle of.
  override ref(): void {}
}

/** How many pthread workers exist right now (a way to see that threads really started). */
export function wasmWorkerCount(): number {
  return liveWorkers.size;
}

/** Ends all pthread workers, e.g. after a threaded init that failed or hung. */
export async function terminateWasmWorkers(): Promise<void> {
  const workers = [...liveWorkers];
  liveWorkers.clear();
  await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
}

/**
 * Runs `init` (which must initialise the threaded wasm backend) with Blob URLs redirected to files.
 * The Worker override stays: the Emscripten glue creates more workers lazily through `Worker`.
 */
export async function withFileBackedBlobs<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const OriginalBlob = globalThis.Blob;
  const originalCreate = URL.createObjectURL.bind(URL);
  const texts = new WeakMap<Blob, string>();
  let modulePath: string | undefined;

  class RecordingBlob extends OriginalBlob {
    constructor(...args: ConstructorParameters<typeof OriginalBlob>) {
      super(...args);
      const [parts] = args;
      if (parts !== undefined && parts.every((p) => typeof p === 'string')) {
        const text = parts.join('');
        texts.set(this, text);
        if (text.startsWith(MODULE_MARK)) {
          modulePath = writeScript('tfjs-backend-wasm-threaded-simd', PRELUDE + text);
        }
      }
    }
  }

  const createObjectURL = (obj: Blob): string => {
    const text = texts.get(obj);
    if (text === undefined || !text.includes(WORKER_MARK) || text.startsWith(MODULE_MARK)) {
      return originalCreate(obj);
    }
    if (modulePath === undefined) throw new Error('wasm threads: module script was not captured');
    // The worker imports the module from whatever it is sent; a Blob is useless to it in Node,
    // so point it at the file written above.
    const patched = text.replace(
      'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}',
      `if(true){importScripts(${JSON.stringify(modulePath)})}`,
    );
    if (patched === text) throw new Error('wasm threads: unexpected pthread worker script');
    return writeScript('tfjs-backend-wasm-threaded-simd.worker', patched);
  };

  let currentWorker: unknown = TrackedWorker;
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => currentWorker,
    // The glue assigns worker_threads.Worker to the global on start-up; keep ours in its place.
    set: (value: unknown) => {
      currentWorker = value === NodeWorker ? TrackedWorker : value;
    },
  });

  // The C++ side caps the pool at emscripten_num_logical_cores() / 2 (read once, at start-up,
  // from os.cpus() in Node) and at the 8 pre-spawned workers; report twice the wanted count.
  const originalCpus = os.cpus;
  const cpus = originalCpus();
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length] as os.CpuInfo);

  globalThis.Blob = RecordingBlob;
  URL.createObjectURL = createObjectURL;
  try {
    return await init();
  } finally {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreate;
    os.cpus = originalCpus;
  }
}
