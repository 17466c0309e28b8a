/**
 * The onnx session process backs its large tensors with transparent huge pages and gives freed
 * blocks back (malloc-tunables.ts): without them a 1024 px job's runs spent most of their time
 * faulting fresh pages in (19 s a run against 6 s), and its peak RSS passed 4 GB. An operator's
 * own GLIBC_TUNABLES are kept, and a tunable it sets wins.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/engine/defaults.js';
import { withSessionMallocTunables } from '../../src/engine/onnx/malloc-tunables.js';
import { startRuntime } from '../../src/engine/runtime/index.js';
import type { Runtime } from '../../src/engine/runtime/types.js';
import { lossSpec } from '../../src/engine/loss-spec.js';
import { sessionProcesses, WEIGHTS } from '../support/fixtures.js';

const OURS = 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576:glibc.malloc.arena_max=1';

it("asks for huge pages and freed memory back, keeping the operator's tunables and choices", () => {
  expect(withSessionMallocTunables({}).GLIBC_TUNABLES).toBe(OURS);
  expect(withSessionMallocTunables({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' }).GLIBC_TUNABLES).toBe(`glibc.malloc.tcache_count=0:${OURS}`);
  expect(withSessionMallocTunables({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0:glibc.malloc.arena_max=4' }).GLIBC_TUNABLES).toBe(
    'glibc.malloc.hugetlb=0:glibc.malloc.arena_max=4:glibc.malloc.mmap_threshold=1048576',
  );
  expect(withSessionMallocTunables({ PATH: '/bin' }).PATH).toBe('/bin');
});

const transparentHugePages = (() => {
  try {
    return /\[(always|madvise)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
})();

const anonHugePagesKb = (pid: number) => Number(/^AnonHugePages:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);

describe.runIf(process.platform === 'linux' && transparentHugePages !== undefined)('the onnx session process', () => {
  let runtime: Runtime | undefined;
  const saved = process.env.GLIBC_TUNABLES;
  afterEach(() => {
    runtime?.dispose();
    runtime = undefined;
    if (saved === undefined) delete process.env.GLIBC_TUNABLES;
    else process.env.GLIBC_TUNABLES = saved;
  });

  /**
   * Runs one 128 px evaluation in a fresh runtime; its session process's AnonHugePages, in kB. At
   * 128 px the session built at start serves it (no Winograd build of its own, as at 256 px).
   */
  async function hugePagesAfterAScale(): Promise<number> {
    runtime = await startRuntime('onnx', { weights: WEIGHTS, threads: 2 });
    const [session] = sessionProcesses();
    const W = 128;
    const H = 85;
    const picture = (seed: number) => ({ width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * seed) % 256) });
    const objective = await runtime.prepare({ width: W, height: H, content: picture(37), styles: [{ image: picture(11), weight: 1 }] }, lossSpec(DEFAULT_OPTIONS, W));
    await objective.evaluate(Float32Array.from(picture(37).data));
    return anonHugePagesKb(session!.pid);
  }

  it('holds its tensors in huge pages once a scale has run', async () => {
    delete process.env.GLIBC_TUNABLES;
    // Its weights alone are ~80 MB; a 2 MB huge page is only used for blocks that large.
    expect(await hugePagesAfterAScale()).toBeGreaterThan(64 * 1024);
  });

  // Where the kernel gives huge pages to every process anyway, turning them off means nothing.
  it.runIf(transparentHugePages === 'madvise')("keeps an operator's explicit choice: huge pages off", async () => {
    process.env.GLIBC_TUNABLES = 'glibc.malloc.hugetlb=0';
    expect(await hugePagesAfterAScale()).toBeLessThan(8 * 1024);
  });
});
