/** Waits for `promise` or `ms`, whichever comes first (a rejection still rejects). */
export async function raceTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Work still under way (replies, uploads) that a stopping adapter lets finish, within a bound. */
export class PendingWork {
  readonly #work = new Set<Promise<unknown>>();

  track(work: Promise<unknown>): void {
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work)).catch(() => undefined);
  }

  get size(): number {
    return this.#work.size;
  }

  /** Resolves when everything tracked has settled or `ms` has passed. */
  drain(ms: number): Promise<void> {
    return raceTimeout(Promise.allSettled([...this.#work]), ms);
  }
}
