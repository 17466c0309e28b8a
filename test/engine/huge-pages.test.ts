/**
 * The onnx session process backs its large tensors with transparent huge pages (huge-pages.ts):
 * without them a 1024 px job's runs spent most of their time faulting fresh pages in (19 s a run
 * against 6 s), close to the job time limit. An operator's own GLIBC_TUNABLES are kept, and an
 * explicit choice of the tunable wins.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/engine/defaults.js';
import { withHugePageMalloc } from '../../src/engine/onnx/huge-pages.js';
import { startRuntime } from '../../src/engine/runtime/index.js';
import type { Runtime } from '../../src/engine/runtime/types.js';
import { lossSpec } from '../../src/engine/stylize.js';
import { sessionProcesses, WEIGHTS } from '../support/fixtures.js';

it('asks for huge pages, keeping the tunables already set and an explicit choice', () => {
  expect(withHugePageMalloc({}).GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
  expect(withHugePageMalloc({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  expect(withHugePageMalloc({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=0');
  expect(withHugePageMalloc({ PATH: '/bin' }).PATH).toBe('/bin');
});

const transparentHugePages = (() => {
  try {
    return /\[(always|madvise)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
})();

const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
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

  it('holds its tensors in huge pages once a scale has run', async () => {
    delete process.env.GLIBC_TUNABLES;
    runtime = await startRuntime('onnx', { weights: WEIGHTS, threads: 2 });
    const [session] = sessionProcesses();
    expect(environOf(session!.pid)).toContain('GLIBC_TUNABLES=glibc.malloc.hugetlb=1');
    const W = 256;
    const H = 170;
    const picture = (seed: number) => ({ width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * seed) % 256) });
    const objective = await runtime.prepare({ width: W, height: H, content: picture(37), styles: [{ image: picture(11), weight: 1 }] }, lossSpec(DEFAULT_OPTIONS, W));
    await objective.evaluate(Float32Array.from(picture(37).data));
    // Its weights alone are ~80 MB; a 2 MB huge page is only used for blocks that large.
    expect(anonHugePagesKb(session!.pid)).toBeGreaterThan(64 * 1024);
  });

  it("keeps an operator's explicit choice", async () => {
    process.env.GLIBC_TUNABLES = 'glibc.malloc.hugetlb=0';
    runtime = await startRuntime('onnx', { weights: WEIGHTS, threads: 2 });
    const [session] = sessionProcesses();
    expect(environOf(session!.pid)).toContain('GLIBC_TUNABLES=glibc.malloc.hugetlb=0');
  });
});
