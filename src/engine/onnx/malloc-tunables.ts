/**
 * How glibc's malloc behaves in the onnx session process (GLIBC_TUNABLES, glibc ≥ 2.35; other C
 * libraries ignore it). Measured on a 2-core VM, one process at a time:
 * - glibc.malloc.hugetlb=1: large blocks in transparent huge pages. Without the arena (objectives
 *   above 520² px) every tensor of a run is fresh memory, and each 4 KiB page cost a fault on
 *   first touch: a 1040² run took 19.1 s, 6.5 s of it in elementwise ops writing fresh 277 MB
 *   tensors; with huge pages 5.9 s. Sessions built faster too (constant folding allocates as
 *   much): the shared Winograd one 6.5 s → 1.7 s, the direct one 1.2 → 0.3 s.
 * - glibc.malloc.mmap_threshold=1 MiB and arena_max=1: freed blocks go back to the system instead
 *   of staying in per-thread heaps (the default threshold rises to 32 MB as blocks are freed, and
 *   block4's 35 MB maps then stayed resident). A default 1024 px job (golden_gate, both
 *   processes): peak RSS 4264-4453 MB without them, 3516 MB with; its time 193-205 s → 202 s; a
 *   default 512 px job 47.9 → 49.3 s and 2760 → 2186 MB.
 * An operator's own GLIBC_TUNABLES are kept, and a tunable it sets wins over ours.
 */
const SESSION_TUNABLES: Readonly<Record<string, number>> = {
  'glibc.malloc.hugetlb': 1,
  'glibc.malloc.mmap_threshold': 1024 * 1024,
  'glibc.malloc.arena_max': 1,
};

/** The environment for the session process: GLIBC_TUNABLES with ours added after the operator's. */
export function withSessionMallocTunables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const tunables = (env.GLIBC_TUNABLES ?? '').split(':').filter(Boolean);
  const added = Object.entries(SESSION_TUNABLES)
    .filter(([name]) => !tunables.some((t) => t.startsWith(`${name}=`)))
    .map(([name, value]) => `${name}=${value}`);
  return added.length === 0 ? env : { ...env, GLIBC_TUNABLES: [...tunables, ...added].join(':') };
}
