/**
 * The calling thread's OS scheduling priority (nice). On Linux nice belongs to each thread, and a
 * thread or process started from a thread inherits it, so lowering the engine's thread lowers
 * the onnx session process it forks too. Elsewhere a thread cannot be set on its own: nothing is done.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';

/** The calling thread's kernel id, read from /proc (Linux); undefined where there is none. */
export function kernelThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lowers the calling thread's priority to `niceness` (0–19); one already lower is left as it is,
 * since raising it back needs privileges. Returns the thread's nice afterwards, or undefined where
 * a thread's priority cannot be set alone.
 */
export function lowerThreadPriority(niceness: number): number | undefined {
  const tid = kernelThreadId();
  if (tid === undefined) return undefined;
  if (os.getPriority(tid) < niceness) os.setPriority(tid, niceness);
  return os.getPriority(tid);
}
