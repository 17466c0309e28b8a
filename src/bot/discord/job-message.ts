/**
 * Runs one job and keeps its message current: position and ETA while queued, a progress bar with
 * previews while running, and the result (or a sentence saying why not) at the end, with buttons.
 */
import type { RepliableInteraction } from 'discord.js';
import sharp from 'sharp';
import { fitToLimit } from '../../commands/fit-result.js';
import { EditPacer } from '../../commands/pacer.js';
import type { RerollInputs } from '../../commands/reroll-store.js';
import { internalErrorText, notPostedText } from '../../commands/texts.js';
import type { Logger } from '../../log.js';
import { QueueRejection, type JobHandle, type JobOutcome, type JobProgress } from '../../queue/index.js';
import type { DiscordContext } from './context.js';
import { LiveReply, type View, type ViewFile } from './live-reply.js';
import { tellPrivately } from './respond.js';
import { cancelledView, doneView, failedView, progressView, queuedView, startedView } from './views.js';

/** Discord's upload limit when the interaction does not say (servers without boosts). */
const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;
/** Multipart framing and the JSON payload count against the limit too. */
const UPLOAD_HEADROOM = 16 * 1024;

export interface JobRun {
  /** Deferred already. */
  interaction: RepliableInteraction;
  inputs: RerollInputs;
  requestId: string;
  isPrivate: boolean;
  logger: Logger;
}

interface Shown {
  view: View;
  preview?: { version: number; file: ViewFile };
  /** Only on the final state: what to show when Discord refuses `view` (too large, invalid…). */
  fallback?: View;
}

export async function runJob(ctx: DiscordContext, run: JobRun): Promise<void> {
  const { interaction, inputs, requestId, logger: log } = run;
  let handle: JobHandle;
  try {
    handle = ctx.queue.submit({
      owner: { userId: interaction.user.id, platform: 'discord', serverId: interaction.guildId ?? undefined },
      request: {
        // The queue hands the bytes to the worker (detaching them); the reroll store keeps its own.
        content: new Uint8Array(inputs.content),
        styles: inputs.styles.map((bytes) => ({ bytes: new Uint8Array(bytes) })),
        options: { ...inputs.engine, format: 'png' },
      },
      requestId,
      previewAt: ctx.tuning.previewAt,
    });
  } catch (e) {
    if (e instanceof QueueRejection) {
      log.info({ code: e.code }, 'job refused by the queue');
      await tellPrivately(interaction, e.message, { deferredPublicly: !run.isPrivate });
      return;
    }
    throw e;
  }
  const jobLog = log.child({ jobId: handle.id });
  jobLog.info('job submitted');
  const rerollKey = ctx.rerolls.put(inputs);
  const reply = new LiveReply(interaction, { private: run.isPrivate, tuning: ctx.tuning, logger: jobLog });
  const limit = uploadLimit(interaction);

  let shownPreview = 0;
  let latestPreview: Shown['preview'];
  const pacer = new EditPacer<Shown>({
    intervalMs: ctx.tuning.editIntervalMs,
    key: (s) => `${s.view.content}|${s.preview?.version ?? 0}|${JSON.stringify(s.view.components ?? [])}`,
    send: async (s) => {
      if (s.fallback) {
        await showFinal(reply, s.view, s.fallback, jobLog);
        return;
      }
      const fresh = s.preview && s.preview.version > shownPreview ? s.preview : undefined;
      await reply.show(fresh ? { ...s.view, files: [fresh.file] } : s.view);
      if (fresh) shownPreview = fresh.version;
    },
    onError: (err) => jobLog.warn({ err }, 'could not update the job message'),
  });

  handle.on('queued', ({ position, etaMs }) => pacer.push({ view: queuedView(handle.id, position, etaMs) }));
  handle.on('position', ({ position, etaMs }) => pacer.push({ view: queuedView(handle.id, position, etaMs) }));
  handle.on('started', ({ etaMs }) => pacer.push({ view: startedView(handle.id, etaMs) }));
  let lastProgress: JobProgress | undefined;
  let previews = Promise.resolve();
  const showPreview = (file: ViewFile) => {
    latestPreview = { version: (latestPreview?.version ?? 0) + 1, file };
    if (lastProgress) pacer.push({ view: progressView(handle.id, lastProgress, undefined), preview: latestPreview });
  };
  handle.on('progress', (progress) => {
    lastProgress = progress;
    const preview = progress.preview;
    if (preview && preview.length <= limit) {
      showPreview({ name: 'preview.png', data: preview, contentType: 'image/png' });
      return;
    }
    pacer.push({ view: progressView(handle.id, progress, undefined), preview: latestPreview });
    if (preview) {
      // Too big for this place's upload limit: re-encoded off the event, shown with the newest progress.
      previews = previews.then(() =>
        fitPreview(preview, limit).then(showPreview, (err: unknown) => jobLog.warn({ err }, 'could not fit a preview; skipped')),
      );
    }
  });

  const outcome = await handle.settled;
  handle.removeAllListeners();
  jobLog.info({ status: outcome.status, ...(outcome.status === 'failed' ? { kind: outcome.failure.kind } : {}) }, 'job settled');
  const final = await finalView(outcome, limit, inputs, requestId, rerollKey).catch((err: unknown) => {
    jobLog.error({ err }, 'could not prepare the result');
    return { content: internalErrorText(requestId), files: [] } satisfies View;
  });
  // finish() reports a failed send through onError; 'lost' means every way to the user was refused.
  const hadPicture = (final.files?.length ?? 0) > 0;
  const fallback: View = { content: `${final.content}\n${notPostedText(requestId, hadPicture)}`, embeds: [], components: [], files: [] };
  await pacer.finish({ view: final, fallback });
  if (reply.where === 'lost') jobLog.error('the result could not be delivered to the user');
}

/** The last message of a job must arrive: when Discord refuses it, a plain sentence goes instead. */
async function showFinal(reply: LiveReply, view: View, fallback: View, log: Logger): Promise<void> {
  try {
    await reply.show(view);
  } catch (err) {
    if (reply.where === 'lost') throw err;
    log.error({ err }, 'the final message was refused; sending a plain sentence instead');
    await reply.show(fallback);
  }
}

/** The most bytes one file may have here: the interaction's `attachment_size_limit`, less headroom. */
function uploadLimit(interaction: RepliableInteraction): number {
  return (interaction.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT) - UPLOAD_HEADROOM;
}

async function fitPreview(png: Uint8Array, limit: number): Promise<ViewFile> {
  const meta = await sharp(png).metadata();
  const image = await fitToLimit({ bytes: png, mime: 'image/png', width: meta.width ?? 1, height: meta.height ?? 1 }, limit, 'preview');
  return { name: image.fileName, data: image.bytes, contentType: image.mime };
}

async function finalView(
  outcome: JobOutcome,
  limit: number,
  inputs: RerollInputs,
  requestId: string,
  rerollKey: string | undefined,
): Promise<View> {
  switch (outcome.status) {
    case 'done': {
      const r = outcome.result;
      const image = await fitToLimit({ bytes: r.image, mime: r.mime, width: r.width, height: r.height }, limit);
      return doneView({ image, given: inputs.given, stats: outcome.result.stats, requestId, rerollKey });
    }
    case 'failed':
      return failedView(outcome.failure, requestId, rerollKey);
    case 'cancelled':
      return cancelledView(outcome.by, inputs.requesterId, rerollKey);
  }
}
