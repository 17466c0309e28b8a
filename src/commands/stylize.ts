/**
 * /stylize on every platform: what it collects (the picture inputs and the options of the one
 * schema), how it validates them, and the job it starts. Platforms read the raw values and build
 * a view; everything from the downloads on happens here and in the job flow.
 */
import type { StyleImage } from '../engine/index.js';
import type { JobOwner } from '../queue/types.js';
import type { Logger } from '../log.js';
import { downloadImage, InputError, type AttachmentRef, type DownloadPolicy } from './attachments.js';
import type { CommandContext } from './context.js';
import { rerolled, withSeed } from './job-actions.js';
import type { JobView } from './job-view.js';
import { IMAGE_INPUTS, optionsFor, parseOptions, type ParsedOptions, type Surface } from './options.js';
import type { KeptJob, RerollInputs } from './reroll-store.js';

export const name = 'stylize';
export const description = 'Repaint a photo in the style of a painting.';

/** What the command collects on a surface: the picture inputs, then the options offered there. */
export function collects(surface: Surface) {
  return { images: IMAGE_INPUTS, options: optionsFor(surface) };
}

/** Validates option values as the platform read them; throws OptionError with the sentence. */
export function validate(raw: Record<string, unknown>, ctx: Pick<CommandContext, 'sizeCap'>): ParsedOptions {
  return parseOptions(raw, { sizeCap: ctx.sizeCap });
}

export interface StylizeRun {
  options: ParsedOptions;
  /** The photo first, then the paintings, as the platform describes them. */
  attachments: AttachmentRef[];
  /** Paintings from the server's style library (style_name, with their kept style vectors), painted before the attached ones. */
  savedStyles?: StyleImage[];
  download: DownloadPolicy;
  owner: JobOwner;
  requestId: string;
  view: JobView;
  logger: Logger;
}

/**
 * Why the queue would refuse this owner now, asked before any attachment is fetched: a user with a
 * job running who sends three 15 MB pictures costs nothing. Only a first look: the queue decides on
 * submit (another job may have come in between), and a queue it cannot read now is left to that.
 */
async function refusalBeforeDownload(ctx: CommandContext, owner: JobOwner): Promise<string | undefined> {
  return (await ctx.queue.refusalFor(owner).catch(() => undefined))?.message;
}

/** Checks the queue's limits, downloads the pictures (refusing bad ones with a sentence), then runs the job in the view. */
export async function stylize(ctx: CommandContext, run: StylizeRun): Promise<void> {
  const early = await refusalBeforeDownload(ctx, run.owner);
  if (early !== undefined) {
    run.logger.info({ reason: early }, 'refused before downloading');
    await run.view.refuse(early);
    return;
  }
  let images;
  try {
    images = await Promise.all(run.attachments.map((ref) => downloadImage(ref, run.download)));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    run.logger.info({ reason: e.message }, 'attachment refused');
    await run.view.refuse(e.message);
    return;
  }
  const [content, ...attached] = images.map((i) => i.bytes);
  const styles = [...(run.savedStyles ?? []), ...attached.map((bytes) => ({ bytes }))];
  // PNG: the flow fits the picture to the platform's upload limit itself.
  const { engine, given } = withSeed({ ...ctx.jobDefaults, ...run.options.engine, format: 'png' }, run.options.given);
  const request = { content: content!, styles, options: engine };
  await ctx.flow.start({
    view: run.view,
    owner: run.owner,
    inputs: { request, given, adapter: run.options.adapter, requesterId: run.owner.userId },
    requestId: run.requestId,
    logger: run.logger,
  });
}

/** The stored inputs of a finished job, or undefined when they are no longer kept. */
export function storedInputs(ctx: CommandContext, key: string): Promise<KeptJob | undefined> {
  return ctx.flow.rerolls.get(key);
}

/** Reroll: the same pictures and options with a new seed, asked for by `owner`. */
export async function reroll(ctx: CommandContext, inputs: RerollInputs, run: Omit<StylizeRun, 'options' | 'attachments' | 'download'>): Promise<void> {
  await ctx.flow.start({
    view: run.view,
    owner: run.owner,
    inputs: { ...rerolled(inputs), requesterId: run.owner.userId },
    requestId: run.requestId,
    logger: run.logger,
  });
}
