/**
 * The onnx session process asks glibc's malloc to back its large blocks with transparent huge
 * pages (glibc ≥ 2.35; GLIBC_TUNABLES glibc.malloc.hugetlb=1, which madvises them). Without the
 * arena (objectives above 520² px) every tensor of a run is a fresh mmap, and each of its 4 KiB
 * pages costs a fault on first touch: on the 2-core VM we measured, a 1040² objective took 19.1 s
 * a run, of which the elementwise ops writing fresh 277 MB tensors (Sign, Mul) were 6.5 s; with
 * huge pages 5.9 s, and the process's peak RSS 3.8 GB. Sessions built faster too (their constant
 * folding allocates as much): the shared Winograd one 6.5 s → 1.7 s, the direct one 1.2 → 0.3 s,
 * and a 520×349 step 730 → 630 ms. Where the kernel has transparent huge pages off, or the C
 * library is not glibc, the tunable does nothing.
 */
export const HUGE_PAGE_TUNABLE = 'glibc.malloc.hugetlb';

/** The environment for the session process: the operator's own GLIBC_TUNABLES kept, and huge pages asked for unless it already says. */
export function withHugePageMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (tunables.split(':').some((t) => t.startsWith(`${HUGE_PAGE_TUNABLE}=`))) return env;
  return { ...env, GLIBC_TUNABLES: [tunables, `${HUGE_PAGE_TUNABLE}=1`].filter(Boolean).join(':') };
}
