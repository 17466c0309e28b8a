/**
 * The onnx runtime computes in a child process, and stopping it at any moment is safe: onnxruntime
 * inside a worker thread that is terminated mid-run takes the whole Node process down, which is
 * what a job stopped at once (cancelled past its grace, over its time limit, a shutdown) used to do
 * to the bot. If either test here brought that back, the test process itself would die.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startRuntime } from '../../src/engine/runtime/index.js';
import { spawnModuleWorker } from '../../src/util/module-worker.js';
import { refusal, sessionProcesses, until, WEIGHTS } from '../support/fixtures.js';
import { preparedStep, stepping } from '../support/onnx-step.js';

describe.runIf(process.platform === 'linux')('stopping the onnx runtime mid-step', () => {
  it('refuses the step in flight with a sentence, and its process is gone at once', async () => {
    const runtime = await startRuntime('onnx', { weights: WEIGHTS, threads: 2 });
    expect(sessionProcesses()).toHaveLength(1);
    let first!: () => void;
    const stepped = new Promise<void>((r) => (first = r));
    const running = stepping(runtime, first);
    await stepped;
    await new Promise((r) => setTimeout(r, 150));
    runtime.dispose();
    expect(await refusal(running)).toEqual({ code: 'internal', message: 'The engine was shut down.' });
    await until('the session process to go', () => sessionProcesses().length === 0, 2000);
  });

  it('leaves no process behind when the thread that started it is terminated mid-step', async () => {
    const thread = spawnModuleWorker(new URL('../support/onnx-step-thread.ts', import.meta.url), { workerData: { weights: WEIGHTS } });
    await new Promise<void>((resolve, reject) => thread.once('message', () => resolve()).once('error', reject));
    expect(sessionProcesses()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 150));
    await thread.terminate();
    // It notices its parent is gone when the step it is in returns (well under a second here).
    await until('the session process to go', () => sessionProcesses().length === 0, 20_000);
  });

  it('says the process was killed (most likely out of memory) when a message meets its dead pipe before Node has seen it exit', async () => {
    const runtime = await startRuntime('onnx', { weights: WEIGHTS, threads: 2 });
    try {
      const { objective, step } = await preparedStep(runtime);
      await step();
      const [session] = sessionProcesses();
      process.kill(session!.pid, 'SIGKILL');
      // Busy-waiting keeps the event loop from reaping it. Once its last thread is gone the kernel
      // has closed its end of the pipe, so the small message that follows fails there at once
      // ('error', EPIPE), well before 'exit' can say why the process died.
      const gone = () => readFileSync(`/proc/${session!.pid}/stat`, 'utf8').split(') ')[1]![0] === 'Z' && readdirSync(`/proc/${session!.pid}/task`).length <= 1;
      const deadline = performance.now() + 10_000;
      while (!gone() && performance.now() < deadline);
      expect(gone()).toBe(true);
      objective.dispose();
      const next = step();
      expect(await refusal(next)).toEqual({ code: 'internal', message: expect.stringMatching(/killed \(SIGKILL\).*out of memory/) });
    } finally {
      runtime.dispose();
    }
  });
});
