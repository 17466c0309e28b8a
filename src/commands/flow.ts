/**
 * The one job flow, for every platform: submit (or hear the refusal), follow the job's events,
 * pace the edits, show previews, await the end and show the final message with Reroll and
 * Parameters; when the platform refuses that message, a plain sentence still reaches the user.
 * After a restart the same flow picks up the jobs the queue kept, through views rebuilt from
 * their reply targets.
 */
import sharp from 'sharp';
import type { Logger } from '../log.js';
import type { FastLane, LanePicture } from '../queue/fast-lane.js';
import type { JobQueuePort, ReplyTarget, ResumableJob } from '../queue/port.js';
import { copyForTransfer } from '../queue/protocol.js';
import type { CancelRequester, JobOutcome, JobOwner, JobProgress } from '../queue/types.js';
import { PendingWork } from '../util/pending-work.js';
import { fitToLimit } from './fit-result.js';
import { instantRequest, withInstant, type InstantState } from './instant.js';
import type { JobLedger } from './job-ledger.js';
import { cancelFor, parameterLines } from './job-actions.js';
import type { JobView, Picture, Screen, ViewBuilder } from './job-view.js';
import { keptResult, withOrigin } from './iterate.js';
import { givenFrom } from './options.js';
import { EditPacer } from './pacer.js';
import type { RerollInputs, RerollStore } from './reroll-store.js';
import {
  cancelledText,
  cannotPostText,
  doneText,
  failedText,
  internalErrorText,
  keepDoneText,
  keptText,
  lostInRestartText,
  notPostedText,
  PREVIEW_CAPTION,
  progressText,
  queuedText,
  queueOutOfReachText,
  resultFacts,
  startedText,
  startingNowText,
  stoppedNowText,
} from './texts.js';

export interface JobFlowOptions {
  queue: JobQueuePort;
  rerolls: RerollStore;
  logger: Logger;
  /** Fractions of progress at which a preview is shown. */
  previewAt?: number[];
  /** Where jobs being followed are noted while they run (in-process queue: see job-ledger.ts). */
  ledger?: JobLedger;
  /** The instant lane: a fast picture for every job at once (none: jobs only paint). */
  lane?: InstantLane;
}

/** What the flow needs of the instant lane (src/queue/fast-lane.ts). */
export type InstantLane = Pick<FastLane, 'picture' | 'on' | 'etaMs'>;

/** A job being followed: what `stopNow` needs to give its message a last word. */
interface Followed {
  view: JobView;
  requestId: string;
  parameters: string[];
  /** The picture on screen (instant or a painting preview), which Keep this keeps. */
  shown?: Picture;
  /** The facts shown beside a kept picture. */
  facts?: { name: string; value: string }[];
  instant: InstantState;
}

export interface JobStart {
  view: JobView;
  owner: JobOwner;
  inputs: RerollInputs;
  requestId: string;
  logger: Logger;
}

/** What the queue keeps of the adapter's own options with the reply target (for Reroll after a restart). */
interface StoredReply {
  adapter?: Record<string, unknown>;
}

interface Shown {
  screen: Screen;
  preview?: { version: number; picture: Picture };
  /** Only on the final state: what to show when the platform refuses `screen`. */
  fallback?: Screen;
}

const DEFAULT_PREVIEW_AT = [0.25, 0.5, 0.75];

export class JobFlow {
  readonly #builders = new Map<JobOwner['platform'], ViewBuilder>();
  readonly #pending = new PendingWork();
  readonly #followed = new Map<string, Followed>();
  /** Set by `stopNow`: no edit may follow the last word. */
  #stoppedNow = false;

  constructor(readonly options: JobFlowOptions) {}

  get rerolls(): RerollStore {
    return this.options.rerolls;
  }

  /** A platform says how to rebuild its view from a stored reply target. */
  register(platform: JobOwner['platform'], build: ViewBuilder): void {
    this.#builders.set(platform, build);
  }

  /** Submits a job and follows it to its end in `view`. */
  async start(run: JobStart): Promise<void> {
    const { view, inputs, requestId, logger: log } = run;
    const lane = this.options.lane;
    let reply: ReplyTarget;
    try {
      reply = await view.open();
    } catch (err) {
      log.warn({ err }, 'could not place the job message; nothing queued');
      await view.refuse(cannotPostText(view.platform === 'slack' ? 'slack' : 'discord')).catch((e: unknown) => log.warn({ err: e }, 'could not tell the user'));
      return;
    }
    // Mode fast is the instant picture alone: it never waits behind paintings. A full or missing
    // lane hands it to the queue, whose worker makes it.
    if (inputs.request.options.mode === 'fast' && lane?.on) {
      const made = await lane.picture(inputs.request, requestId);
      if (made.status !== 'skipped') {
        await this.#deliverFast(made, view, inputs, requestId, log);
        return;
      }
    }
    const submit = this.options.queue.submit({
      owner: run.owner,
      // The queue hands the bytes to the worker (detaching them); the reroll store keeps its own.
      request: copyForTransfer(inputs.request),
      requestId,
      previewAt: this.options.previewAt ?? DEFAULT_PREVIEW_AT,
      reply: { ...reply, data: { ...reply.data, adapter: inputs.adapter } satisfies StoredReply },
    });
    let submitted: Awaited<typeof submit>;
    try {
      submitted = await submit;
    } catch (err) {
      // A queue that cannot be reached (a distributed one's store, say): the opened message must not wait forever.
      log.error({ err }, 'the queue did not take the job');
      await view.refuse(internalErrorText(requestId)).catch((e: unknown) => log.warn({ err: e }, 'could not tell the user'));
      return;
    }
    if (!submitted.accepted) {
      log.info({ code: submitted.code }, 'job refused by the queue');
      await view.refuse(submitted.message);
      return;
    }
    const jobLog = log.child({ jobId: submitted.jobId });
    jobLog.info('job submitted');
    this.options.ledger?.add({ jobId: submitted.jobId, requestId, reply });
    const instant = lane?.on && inputs.request.options.mode !== 'fast' ? lane.picture(instantRequest(inputs.request), requestId) : undefined;
    await this.#follow(submitted.jobId, view, inputs, requestId, jobLog, instant && { picture: instant, etaMs: lane!.etaMs() });
  }

  /**
   * Keep this: the painting is stopped (queued or running) and the picture on screen becomes the
   * job's result. The wish travels with the cancel through the queue, so whichever chat process
   * follows the job shows the kept picture. Only the requester keeps; anyone else gets the queue's sentence.
   */
  async keep(jobId: string, by: Pick<CancelRequester, 'userId'>): Promise<{ ok: boolean; message: string }> {
    const result = await cancelFor(this.options.queue, jobId, { userId: by.userId, keep: true });
    return result.ok ? { ok: true, message: keepDoneText() } : result;
  }

  /** Where the instant part of a followed job stands (for /queue); undefined for jobs not followed here. */
  instantOf(jobId: string): InstantState | undefined {
    return this.#followed.get(jobId)?.instant;
  }

  /** A mode-fast job the lane has answered: its picture (or sentence) is the job's end. */
  async #deliverFast(made: Exclude<LanePicture, { status: 'skipped' }>, view: JobView, inputs: RerollInputs, requestId: string, log: Logger): Promise<void> {
    const rerollKey = await this.options.rerolls.put(inputs, { requestId });
    const parameters = parameterLines(inputs.given, view.platform);
    const outcome: JobOutcome = made.status === 'done' ? { status: 'done', result: made.result } : { status: 'failed', failure: made.failure };
    if (outcome.status === 'done' && rerollKey) await this.options.rerolls.keepResult(rerollKey, keptResult(outcome.result));
    log.info({ status: outcome.status }, 'instant picture delivered as the job');
    const final: Screen = await finalScreen(outcome, view.uploadLimit, inputs, requestId, rerollKey, parameters).catch((err: unknown) => {
      log.error({ err }, 'could not prepare the result');
      return { text: internalErrorText(requestId), parameters, final: true };
    });
    const fallback: Screen = { text: `${final.text}\n${notPostedText(requestId, final.result !== undefined)}`, parameters, final: true };
    await showFinal(view, final, fallback, log).catch((err: unknown) => log.warn({ err }, 'could not show the instant picture'));
  }

  /**
   * The process is going away now (a second signal): every followed job's message says so, with
   * what becomes of the picture (`kept`: a durable queue runs it later), instead of staying at its
   * last progress. Waits at most `timeoutMs` for the edits.
   */
  async stopNow(kept: boolean, timeoutMs: number): Promise<number> {
    this.#stoppedNow = true;
    const told = [...this.#followed].map(async ([jobId, f]) => {
      await f.view.show({ text: stoppedNowText(f.requestId, kept), parameters: f.parameters, final: true });
      this.options.ledger?.remove(jobId);
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled(told), deadline]);
    clearTimeout(timer);
    return told.length;
  }

  /**
   * At start: the jobs a process before this one was following when it died without a word (the
   * ledger's leftovers) are lost with it; each message says so. Resolves with how many.
   */
  async tellLost(): Promise<number> {
    const left = this.options.ledger?.leftBehind ?? [];
    await Promise.all(
      left.map(async (entry) => {
        const log = this.options.logger.child({ jobId: entry.jobId, requestId: entry.requestId });
        const build = this.#builders.get(entry.reply.platform);
        if (!build) return;
        try {
          await build(entry.reply).show({ text: lostInRestartText(entry.requestId), parameters: [], final: true });
          log.info('told the user that a job of the process before was lost');
        } catch (err) {
          log.warn({ err }, 'could not tell the user that their job was lost');
        }
      }),
    );
    return left.length;
  }

  /** Picks up a job accepted before a restart, in a view rebuilt from its reply target. */
  resume(job: ResumableJob): Promise<void> {
    const log = this.options.logger.child({ jobId: job.jobId, requestId: job.requestId });
    const build = this.#builders.get(job.reply.platform);
    if (!build) {
      log.warn({ platform: job.reply.platform }, 'no view for this platform; the job runs without its message');
      return Promise.resolve();
    }
    const adapter = (job.reply.data as StoredReply).adapter ?? {};
    const request = { ...job.request, options: job.request.options ?? {} };
    const inputs: RerollInputs = { request, given: givenFrom(request.options, adapter), adapter, requesterId: job.owner.userId };
    log.info({ instant: job.instant !== undefined }, 'following a job from before the restart');
    // The instant picture its message showed is shown again (it is kept with the job already).
    const instant = job.instant && { picture: Promise.resolve({ status: 'done' as const, result: job.instant }), etaMs: 0, kept: true };
    const work = this.#follow(job.jobId, build(job.reply), inputs, job.requestId, log, instant).catch((err: unknown) =>
      log.error({ err }, 'could not follow the resumed job'),
    );
    this.#pending.track(work);
    return work;
  }

  /** Waits (up to `ms`) for resumed jobs' last messages. */
  drain(ms: number): Promise<void> {
    return this.#pending.drain(ms);
  }

  async #follow(
    jobId: string,
    view: JobView,
    inputs: RerollInputs,
    requestId: string,
    log: Logger,
    /** `kept`: the picture is in the queue already (a resumed job's). */
    instant?: { picture: Promise<LanePicture>; etaMs: number; kept?: boolean },
  ): Promise<void> {
    const { queue } = this.options;
    view = withOrigin(view, inputs.adapter);
    const rerollKey = await this.options.rerolls.put(inputs, { requestId });
    const parameters = parameterLines(inputs.given, view.platform);
    let shownPreview = 0;
    let latestPreview: Shown['preview'];
    const pacer = new EditPacer<Shown>({
      intervalMs: view.editIntervalMs,
      key: (s) => `${s.screen.text}|${s.preview?.version ?? 0}|${s.screen.cancelJobId ?? ''}|${s.screen.final}`,
      send: async (s) => {
        if (this.#stoppedNow) return;
        if (s.fallback) return showFinal(view, s.screen, s.fallback, log);
        const fresh = s.preview && s.preview.version > shownPreview ? s.preview : undefined;
        await view.show(fresh ? { ...s.screen, text: `${s.screen.text}\n${PREVIEW_CAPTION}`, preview: fresh.picture } : s.screen);
        if (fresh) shownPreview = fresh.version;
      },
      onError: (err) => log.warn({ err }, 'could not update the job message'),
    });
    const followed: Followed = { view, requestId, parameters, instant: instant ? { state: 'making', etaMs: instant.etaMs } : { state: 'none' } };
    // The painting's own words; the instant part's line goes above them.
    let paintingText = '';
    const waiting = (text: string): Screen => {
      paintingText = text;
      return {
        text: withInstant(followed.instant, text),
        cancelJobId: jobId,
        ...(followed.shown ? { keepJobId: jobId } : {}),
        parameters,
        final: false,
      };
    };
    let lastProgress: JobProgress | undefined;
    let previews = Promise.resolve();
    const showPreview = (picture: Picture) => {
      latestPreview = { version: (latestPreview?.version ?? 0) + 1, picture };
      followed.shown = picture;
      followed.facts = [{ name: 'Size', value: `${picture.width}×${picture.height}` }];
      if (followed.instant.state === 'shown') {
        followed.instant = { state: 'replaced' };
        void queue.keepInstant(jobId, undefined).catch((err: unknown) => log.warn({ err }, 'could not forget the instant picture'));
      }
      if (lastProgress) pacer.push({ screen: waiting(progressText(lastProgress)), preview: latestPreview });
    };

    this.#followed.set(jobId, followed);
    // The instant picture shows as soon as it is made, unless a painting preview came first.
    void instant?.picture.then(async (made) => {
      if (made.status !== 'done') {
        followed.instant = { state: 'none' };
        if (made.status === 'skipped' && made.reason === 'busy') log.info('no instant picture: the lane was full');
        return;
      }
      const r = made.result;
      const picture = await fitPicture(r.image, r.mime === 'image/png' ? 'image/png' : 'image/jpeg', view.uploadLimit, 'instant');
      if (latestPreview || !this.#followed.has(jobId)) {
        followed.instant = { state: 'none' };
        return;
      }
      followed.instant = { state: 'shown', ms: r.stats.ms };
      latestPreview = { version: 1, picture };
      followed.shown = picture;
      followed.facts = resultFacts(r.stats, picture.width, picture.height);
      log.info({ ms: r.stats.ms }, 'instant picture shown');
      pacer.pushNow({ screen: waiting(paintingText), preview: latestPreview });
      // A chat process that resumes the job after a restart shows it again.
      if (!instant.kept) await queue.keepInstant(jobId, r);
    }).catch((err: unknown) => log.warn({ err }, 'could not show the instant picture'));
    const stop = queue.watch(jobId, (event) => {
      switch (event.type) {
        case 'position':
          pacer.push({ screen: waiting(event.position <= 0 ? startingNowText(event.etaMs) : queuedText(event.position, event.etaMs)) });
          return;
        case 'started':
          pacer.push({ screen: waiting(startedText(event.etaMs)) });
          return;
        case 'progress': {
          lastProgress = event.progress;
          const png = event.progress.preview;
          pacer.push({ screen: waiting(progressText(event.progress)), preview: latestPreview });
          if (!png) return;
          // Too big for this place's upload limit: re-encoded off the event, shown with the newest progress.
          previews = previews.then(() =>
            fitPicture(png, 'image/png', view.uploadLimit, 'preview').then(showPreview, (err: unknown) =>
              log.warn({ err }, 'could not fit a preview; skipped'),
            ),
          );
          return;
        }
        case 'delayed':
          // The next position or progress event puts the usual text back.
          pacer.push({ screen: waiting(queueOutOfReachText()), preview: latestPreview });
          return;
        case 'settled':
          return;
      }
    });

    const broken = (err: unknown, what: string): Screen => {
      log.error({ err }, what);
      return { text: internalErrorText(requestId), parameters, final: true };
    };
    let final: Screen;
    try {
      const outcome = await queue.outcome(jobId);
      if (outcome.status === 'done' && rerollKey) await this.options.rerolls.keepResult(rerollKey, keptResult(outcome.result));
      log.info({ status: outcome.status, ...(outcome.status === 'failed' ? { kind: outcome.failure.kind } : {}) }, 'job settled');
      // Keep this, pressed here or in another chat process: the cancel said so.
      const kept = outcome.status === 'cancelled' && outcome.kept === true && followed.shown !== undefined;
      // The kept picture is the one HD starts from.
      if (kept && rerollKey) await this.options.rerolls.keepResult(rerollKey, keptResult(followed.shown!));
      final = kept
        ? keptScreen(followed, requestId, rerollKey)
        : await finalScreen(outcome, view.uploadLimit, inputs, requestId, rerollKey, parameters).catch((err: unknown) =>
            broken(err, 'could not prepare the result'),
          );
    } catch (err) {
      final = broken(err, 'lost track of the job');
    } finally {
      stop();
    }
    const fallback: Screen = { text: `${final.text}\n${notPostedText(requestId, final.result !== undefined)}`, parameters, final: true };
    await pacer.finish({ screen: final, fallback });
    this.#followed.delete(jobId);
    if (!this.#stoppedNow) this.options.ledger?.remove(jobId);
    if (view.lost) log.error('the result could not be delivered to the user');
  }
}

/** Keep this: the picture that was on screen, as the job's result. */
function keptScreen(followed: Followed, requestId: string, rerollKey: string | undefined): Screen {
  return {
    text: keptText(),
    parameters: followed.parameters,
    final: true,
    ...(rerollKey ? { rerollKey } : {}),
    result: { picture: { ...followed.shown!, name: `stylized.${followed.shown!.mime === 'image/png' ? 'png' : 'jpg'}` }, facts: followed.facts ?? [], requestId },
  };
}

/** The last message of a job must arrive: when the platform refuses it, a plain sentence goes instead. */
async function showFinal(view: JobView, screen: Screen, fallback: Screen, log: Logger): Promise<void> {
  try {
    await view.show(screen);
  } catch (err) {
    if (view.lost) throw err;
    log.error({ err }, 'the final message was refused; sending a plain sentence instead');
    await view.show(fallback);
  }
}

async function fitPicture(image: Uint8Array, mime: Picture['mime'], limit: number, baseName: string): Promise<Picture> {
  const meta = await sharp(image).metadata();
  const { note: _note, ...picture } = await fitToLimit({ image, mime, width: meta.width ?? 1, height: meta.height ?? 1 }, limit, baseName);
  return picture;
}

async function finalScreen(
  outcome: JobOutcome,
  limit: number,
  inputs: RerollInputs,
  requestId: string,
  rerollKey: string | undefined,
  parameters: string[],
): Promise<Screen> {
  const end = { parameters, final: true, ...(rerollKey ? { rerollKey } : {}) };
  switch (outcome.status) {
    case 'done': {
      const r = outcome.result;
      const { note, ...picture } = await fitToLimit(r, limit);
      const text = [doneText(r.stats.ms / 1000, r.stats.backend), note].filter(Boolean).join('\n');
      return { ...end, text, result: { picture, facts: resultFacts(r.stats, picture.width, picture.height), requestId } };
    }
    case 'failed':
      return { ...end, text: failedText(outcome.failure, requestId) };
    case 'cancelled':
      return { ...end, text: cancelledText(outcome.by, inputs.requesterId) };
  }
}

/** Start-up: every job the queue kept from before a restart is followed again. */
export async function resumeJobs(queue: JobQueuePort, flow: JobFlow): Promise<number> {
  const jobs = await queue.resumable();
  for (const job of jobs) void flow.resume(job);
  return jobs.length;
}
