/**
 * The process the onnx runtime computes in (see remote.ts). A session run is one blocking native
 * call; here it blocks only this process, so the engine's thread stays free to report progress and
 * hear a cancel while a long step runs.
 *
 * A process, not a worker thread: a thread terminated while onnxruntime is inside a run takes the
 * whole Node process down with it ("terminate called after throwing an instance of
 * 'Napi::Error'"), and the engine's thread is terminated whenever a job must be stopped at once.
 * A process can be killed at any moment. It lives exactly as long as its parent wants: it ignores
 * the signals a terminal or a service manager sends the whole group (the parent decides when the
 * running job may end), and it leaves when its parent goes, at the latest once the run in flight returns.
 *
 * Argument: the runtime's start options as JSON. Messages in: prepare / evaluate / losses /
 * release, fast-predict / fast-transfer (the fast network, opened on first use), each with an id;
 * out: a hello, then one reply per id.
 */
import { isStylizeError } from '../errors.js';
import type { ScaleObjective } from '../runtime/types.js';
import { startOnnxRuntime, type OnnxProvider, type OnnxRuntimeOptions } from './runtime.js';
import type { Hello, SessionReply, SessionRequest } from './remote.js';
import { loadFastNetwork, type FastModelFiles, type FastNetwork } from '../fast/network.js';

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
process.on('disconnect', () => process.exit(0));

const init = JSON.parse(process.argv[2] ?? '{}') as { provider: OnnxProvider; options: OnnxRuntimeOptions };
// A parent gone mid-write is not an error here: 'disconnect' follows and ends the process.
const send = (m: Hello | SessionReply) => {
  if (process.connected) process.send!(m, undefined, {}, () => undefined);
};

function describe(e: unknown): { code: string; message: string } {
  return isStylizeError(e) ? { code: e.code, message: e.message } : { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

try {
  const runtime = await startOnnxRuntime(init.provider, init.options);
  const objectives = new Map<number, ScaleObjective>();
  const fastNetworks = new Map<string, Promise<FastNetwork>>();
  const fast = (files: FastModelFiles): Promise<FastNetwork> => {
    const key = JSON.stringify(files);
    let net = fastNetworks.get(key);
    if (!net) {
      // A failed opening is forgotten, so the next job tries again (the files may be fixed by then).
      net = loadFastNetwork(files, { threads: runtime.threads });
      net.catch(() => fastNetworks.delete(key));
      fastNetworks.set(key, net);
    }
    return net;
  };

  process.on('message', (m: SessionRequest) => {
    void (async () => {
      try {
        switch (m.op) {
          case 'prepare':
            objectives.set(m.id, await runtime.prepare(m.images, m.loss));
            send({ id: m.id, ok: true });
            break;
          case 'evaluate': {
            const e = await objectives.get(m.objective)!.evaluate(m.pixels);
            send({ id: m.id, ok: true, info: e.info, grad: e.grad });
            break;
          }
          case 'losses':
            send({ id: m.id, ok: true, info: await objectives.get(m.objective)!.losses(m.pixels) });
            break;
          case 'fast-predict':
            send({ id: m.id, ok: true, data: await (await fast(m.files)).predict(m.style) });
            break;
          case 'fast-transfer':
            send({ id: m.id, ok: true, data: await (await fast(m.files)).transfer(m.content, m.vector) });
            break;
          case 'release':
            objectives.get(m.objective)?.dispose();
            objectives.delete(m.objective);
            break;
        }
      } catch (e) {
        send({ id: m.id, ok: false, error: describe(e) });
      }
    })();
  });
  send({ ready: true, name: runtime.name, provider: runtime.provider, threads: runtime.threads });
} catch (e) {
  send({ ready: false, error: describe(e) });
}
