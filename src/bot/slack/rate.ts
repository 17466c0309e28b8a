/**
 * Slack rate-limits `chat.update` per workspace (Tier 3: about 50 calls a minute), not per message.
 * Each job message is paced on its own (EditPacer); this gate spaces the calls of all job messages
 * together, so several jobs in the queue cannot add up to more than Slack allows.
 */
export class CallGate {
  private last = -Infinity;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly gapMs: number;

  constructor(callsPerMinute: number) {
    this.gapMs = 60_000 / callsPerMinute;
  }

  /** Runs `call` once at least `60 s / callsPerMinute` have passed since the previous one started. */
  run<T>(call: () => Promise<T>): Promise<T> {
    const turn = this.chain.then(async () => {
      const wait = this.last + this.gapMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.last = Date.now();
    });
    // The next caller waits for this one's start, not for its answer.
    this.chain = turn;
    return turn.then(call);
  }
}
