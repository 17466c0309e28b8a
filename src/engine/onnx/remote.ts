/**
 * The onnx runtime in a child process (session-process.ts says why not a thread): the same
 * Runtime, with every session run off the caller's thread. Pixels and gradients cross by copy
 * (2 MB each way at 512 px, next to a step of a second or more). Runs are answered in order, one
 * at a time. Disposing kills the process, even mid-run, which is safe for a process.
 */
import type { ChildProcess } from 'node:child_process';
import { forkModule } from '../../util/module-process.js';
import { RuntimeLostError, StylizeError, type StylizeErrorCode } from '../errors.js';
import type { Losses } from '../types.js';
import type { LossSpec, Runtime, ScaleImages, ScaleObjective } from '../runtime/types.js';
import { cudaRefusal } from './cuda.js';
import { onnxCostModel } from './cost-model.js';
import { withSessionMallocTunables } from './malloc-tunables.js';
import type { OnnxProvider, OnnxRuntimeOptions } from './runtime.js';
import type { FastImage, FastModelFiles } from '../fast/network.js';

export type SessionRequest =
  | { id: number; op: 'prepare'; images: ScaleImages; loss: LossSpec }
  | { id: number; op: 'evaluate' | 'losses'; objective: number; pixels: Float32Array }
  | { id: number; op: 'release'; objective: number }
  | { id: number; op: 'fast-predict'; files: FastModelFiles; style: Float32Array }
  | { id: number; op: 'fast-transfer'; files: FastModelFiles; content: FastImage; vector: Float32Array };

export type SessionReply =
  | { id: number; ok: true; info?: Losses; grad?: Float32Array; data?: Float32Array }
  | { id: number; ok: false; error: { code: string; message: string } };

/** A request before it is given its id (Omit over each member of the union). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

export type Hello = { ready: true; name: Runtime['name']; provider: string; threads: number } | { ready: false; error: { code: string; message: string } };

const asError = (e: { code: string; message: string }) => new StylizeError(e.code as StylizeErrorCode, e.message);

function spawn(init: { provider: OnnxProvider; options: OnnxRuntimeOptions }): ChildProcess {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './session-process.ts' : './session-process.js', import.meta.url);
  return forkModule(entry, [JSON.stringify(init)], withSessionMallocTunables(process.env));
}

/** How long a failed write waits for the process's exit to say why it died. */
const EXIT_WAIT_MS = 2000;

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  // Nobody but the kernel's OOM killer sends SIGKILL to a process we still want.
  if (signal === 'SIGKILL') return 'it was killed (SIGKILL), most likely because it ran out of memory';
  return signal ? `it was killed by ${signal}` : `it exited with code ${code}`;
}

export async function startOnnxProcess(provider: OnnxProvider, options: OnnxRuntimeOptions): Promise<Runtime> {
  // Known before any process starts (the process checks again, for callers that skip this module).
  const refusal = provider === 'cuda' ? cudaRefusal() : undefined;
  if (refusal) throw refusal;
  const child = spawn({ provider, options });
  const pending = new Map<number, { resolve: (r: SessionReply & { ok: true }) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | undefined;

  const listeners: { message?: (m: Hello) => void; error?: (e: Error) => void; exit?: (code: number | null, signal: NodeJS.Signals | null) => void } = {};
  const hello = await new Promise<Hello>((resolve, reject) => {
    listeners.message = resolve;
    listeners.error = reject;
    listeners.exit = (code, signal) => reject(new Error(`the onnx process stopped before it was ready: ${exitReason(code, signal)}`));
    child.once('message', listeners.message).once('error', listeners.error).once('exit', listeners.exit);
  }).catch((e: unknown) => ({ ready: false as const, error: { code: 'backend-unavailable', message: `The ${provider === 'cuda' ? 'onnx-cuda' : 'onnx'} backend failed to start (${e instanceof Error ? e.message : String(e)}).` } }));
  child.off('message', listeners.message!).off('error', listeners.error!).off('exit', listeners.exit!);
  if (!hello.ready) {
    child.kill('SIGKILL');
    throw asError(hello.error);
  }

  const fail = (e: Error) => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  child.on('message', (r: SessionReply) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.ok) p.resolve(r);
    else p.reject(asError(r.error));
  });
  // 'error': the process could not be signalled or written to; 'exit': it is gone. A request that
  // meets the pipe of a process the kernel just killed fails (EPIPE) before Node has seen it exit:
  // wait for 'exit', which alone says why, so an out-of-memory kill is still told as such.
  child.on('error', (e) => {
    const lost = () => fail(dead ?? new StylizeError('internal', 'The onnx runtime stopped unexpectedly.', { cause: new RuntimeLostError(e.message, { cause: e }) }));
    if (child.exitCode !== null || child.signalCode !== null) lost();
    else setTimeout(lost, EXIT_WAIT_MS).unref();
  });
  child.on('exit', (code, signal) => {
    const reason = exitReason(code, signal);
    fail(dead ?? new StylizeError('internal', `The onnx runtime stopped unexpectedly: ${reason}.`, { cause: new RuntimeLostError(reason) }));
  });

  function call(request: Unnumbered<SessionRequest>): Promise<SessionReply & { ok: true }> {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ ...request, id });
    });
  }

  return {
    name: hello.name,
    library: 'onnxruntime',
    provider: hello.provider,
    threads: hello.threads,
    ...(provider === 'cpu' ? { costModel: onnxCostModel(options) } : {}),
    async prepare(images, loss): Promise<ScaleObjective> {
      const { id } = await call({ op: 'prepare', images, loss });
      let released = false;
      return {
        async evaluate(pixels) {
          const r = await call({ op: 'evaluate', objective: id, pixels });
          return { loss: r.info!.total, grad: r.grad!, info: r.info! };
        },
        async losses(pixels) {
          return (await call({ op: 'losses', objective: id, pixels })).info!;
        },
        dispose() {
          if (released || dead) return;
          released = true;
          if (child.connected) child.send({ op: 'release', objective: id, id: nextId++ });
        },
      };
    },
    // The fast network runs here too, beside VGG19: off the engine's thread, killable mid-run.
    fastNetwork: (files) => ({
      predict: async (style) => (await call({ op: 'fast-predict', files, style })).data!,
      transfer: async (content, vector) => (await call({ op: 'fast-transfer', files, content, vector })).data!,
      dispose: () => undefined,
    }),
    liveResources: () => pending.size,
    dispose() {
      dead ??= new StylizeError('internal', 'The engine was shut down.');
      fail(dead);
      child.kill('SIGKILL');
    },
  };
}
