/**
 * Runs one job and keeps its message current: position and ETA while queued, a progress bar with
 * previews while running, and the result (or a sentence saying why not) at the end, with buttons.
 */
import type { RepliableInteraction } from 'discord.js';
import { fitToLimit } from '../../commands/fit-result.js';
import { EditPacer } from '../../commands/pacer.js';
import type { RerollInputs } from '../../commands/reroll-store.js';
import { internalErrorText } from '../../commands/texts.js';
import type { Logger } from '../../log.js';
import { QueueRejection, type JobHandle, type JobOutcome } from '../../queue/index.js';
import type { DiscordContext } from './context.js';
import { LiveReply, type View, type ViewFile } from './live-reply.js';
import { refuse } from './respond.js';
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
      await refuse(interaction, e.message, run.isPrivate);
      return;
    }
    throw e;
  }
  const jobLog = log.child({ jobId: handle.id });
  jobLog.info('job submitted');
  const rerollKey = ctx.rerolls.put(inputs);
  const reply = new LiveReply(interaction, { private: run.isPrivate, tuning: ctx.tuning, logger: jobLog });

  let shownPreview = 0;
  let latestPreview: Shown['preview'];
  const pacer = new EditPacer<Shown>({
    intervalMs: ctx.tuning.editIntervalMs,
    key: (s) => `${s.view.content}|${s.preview?.version ?? 0}|${JSON.stringify(s.view.components ?? [])}`,
    send: async (s) => {
      const fresh = s.preview && s.preview.version > shownPreview ? s.preview : undefined;
      await reply.show(fresh ? { ...s.view, files: [fresh.file] } : s.view);
      if (fresh) shownPreview = fresh.version;
    },
    onError: (err) => jobLog.warn({ err }, 'could not update the job message'),
  });

  handle.on('queued', ({ position, etaMs }) => pacer.push({ view: queuedView(handle.id, position, etaMs) }));
  handle.on('position', ({ position, etaMs }) => pacer.push({ view: queuedView(handle.id, position, etaMs) }));
  handle.on('started', ({ etaMs }) => pacer.push({ view: startedView(handle.id, etaMs) }));
  handle.on('progress', (progress) => {
    if (progress.preview) {
      latestPreview = {
        version: (latestPreview?.version ?? 0) + 1,
        file: { name: 'preview.png', data: progress.preview, contentType: 'image/png' },
      };
    }
    pacer.push({ view: progressView(handle.id, progress, undefined), preview: latestPreview });
  });

  const outcome = await handle.settled;
  handle.removeAllListeners();
  jobLog.info({ status: outcome.status, ...(outcome.status === 'failed' ? { kind: outcome.failure.kind } : {}) }, 'job settled');
  const final = await finalView(outcome, interaction, inputs, requestId, rerollKey).catch((err: unknown) => {
    jobLog.error({ err }, 'could not prepare the result');
    return { content: internalErrorText(requestId), files: [] } satisfies View;
  });
  // finish() reports a failed send through onError; 'lost' means every way to the user was refused.
  await pacer.finish({ view: final });
  if (reply.where === 'lost') jobLog.error('the result could not be delivered to the user');
}

async function finalView(
  outcome: JobOutcome,
  interaction: RepliableInteraction,
  inputs: RerollInputs,
  requestId: string,
  rerollKey: string | undefined,
): Promise<View> {
  switch (outcome.status) {
    case 'done': {
      const limit = (interaction.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT) - UPLOAD_HEADROOM;
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
