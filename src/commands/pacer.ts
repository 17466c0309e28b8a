/**
 * Paces message edits: chat platforms rate-limit edits, and a progress message that changes every
 * half second is noise. At most one send per interval, only when the text changed, newest state
 * wins, sends never overlap; `finish` sends the final state after the pending ones and waits.
 */
export interface PacerOptions<T> {
  intervalMs: number;
  /** Two states with the same key look the same to the user; the second is not sent. */
  key: (state: T) => string;
  send: (state: T) => Promise<void>;
  /** A failed send is reported here; pacing goes on (the next state may succeed). */
  onError?: (error: unknown) => void;
  now?: () => number;
}

export class EditPacer<T> {
  private pending: T | undefined;
  private lastKey: string | undefined;
  private lastSentAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private sending = false;
  private finished = false;
  /** The pending state goes out without waiting for the interval (see pushNow). */
  private urgent = false;

  constructor(private readonly opts: PacerOptions<T>) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Offers a new state; it is sent when the interval allows, unless a newer one replaces it. */
  push(state: T): void {
    if (this.finished) return;
    this.pending = state;
    this.schedule();
  }

  /**
   * Offers a state the user is waiting for (the instant picture): it goes out as soon as no send
   * is under way, without waiting for the interval. Newer states still replace it.
   */
  pushNow(state: T): void {
    if (this.finished) return;
    this.pending = state;
    this.urgent = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  private schedule(): void {
    // While a send is under way its end time is not known yet; it reschedules when done.
    if (this.timer || this.sending || this.pending === undefined) return;
    const wait = this.urgent ? 0 : Math.max(0, this.lastSentAt + this.opts.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.urgent = false;
      const state = this.pending;
      this.pending = undefined;
      if (state === undefined || this.finished) return;
      this.sending = true;
      this.inFlight = this.inFlight.then(() => this.sendIfChanged(state));
      // The next state may only go out an interval after this one, however long it took.
      void this.inFlight.then(() => {
        this.sending = false;
        this.schedule();
      });
    }, wait);
  }

  private async sendIfChanged(state: T, force = false): Promise<void> {
    const key = this.opts.key(state);
    if (!force && key === this.lastKey) return;
    try {
      await this.opts.send(state);
      this.lastKey = key;
    } catch (e) {
      this.opts.onError?.(e);
    } finally {
      this.lastSentAt = this.now();
    }
  }

  /**
   * Sends the final state (even if it looks like the last one) once earlier sends are done and the
   * interval has passed, and resolves when it was sent. Later pushes are ignored.
   */
  async finish(state: T): Promise<void> {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.inFlight;
    const wait = this.lastSentAt + this.opts.intervalMs - this.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.inFlight = this.sendIfChanged(state, true);
    await this.inFlight;
  }

  /** Stops without sending anything more. */
  cancel(): void {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}
