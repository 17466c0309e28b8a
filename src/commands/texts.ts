/**
 * Every sentence a user reads from the commands and the bots, the same on every chat platform.
 * Adapters add only formatting (buttons, embeds, blocks, bold). The queue's own sentences
 * (refusals, failures) come through the port, from queue/failures.ts.
 */
import type { StylizeStats } from '../engine/index.js';
import type { JobFailure, JobProgress, QueueSnapshot } from '../queue/types.js';
import { formatBytes, formatDuration } from '../util/units.js';

export { formatBytes, formatDuration } from '../util/units.js';

/** A text bar that reads the same in any font: `▰▰▰▰▱▱▱▱▱▱ 40%`. */
export function progressBar(fraction: number, width = 16): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `${'▰'.repeat(filled)}${'▱'.repeat(width - filled)} ${Math.floor(f * 100)}%`;
}

function progressFraction(p: Pick<JobProgress, 'step' | 'totalSteps'>): number {
  return p.totalSteps > 0 ? p.step / p.totalSteps : 0;
}

export function queuedText(position: number, etaMs?: number): string {
  const eta = etaMs !== undefined && etaMs > 0 ? ` Ready in about ${formatDuration(etaMs)}.` : '';
  if (position <= 1) return `Queued: you are next.${eta}`;
  return `Queued: you are #${position} in line.${eta}`;
}

export function startedText(etaMs?: number): string {
  return etaMs !== undefined && etaMs > 0 ? `Started. Ready in about ${formatDuration(etaMs)}.` : 'Started.';
}

/** Two lines: the bar, then scale, size and time left. */
export function progressText(p: JobProgress): string {
  const eta = p.etaMs !== undefined ? ` · about ${formatDuration(p.etaMs)} left` : '';
  return `${progressBar(progressFraction(p))}\nScale ${p.scale}/${p.scales} (${p.width}×${p.height})${eta}`;
}

export function doneText(seconds: number, backend: string): string {
  return `Done in ${formatDuration(seconds * 1000)} (${backend}).`;
}

export function failedText(failure: JobFailure, requestId: string): string {
  return `${failure.message} (request ${requestId})`;
}

export function cancelledText(by: string, requesterId: string): string {
  return by === requesterId ? 'Cancelled. Nothing was kept running.' : 'Cancelled by a moderator.';
}

/** Said when something broke that the user cannot fix; the request id lets an operator find the log. */
export function internalErrorText(requestId: string): string {
  return `Something went wrong on the bot's side (request ${requestId}). Please try again in a minute; if it keeps happening, tell the bot's operator this request id.`;
}

/** Said when the job ended but its last message (usually the picture) was refused by the platform. */
export function notPostedText(requestId: string, hadPicture: boolean): string {
  return hadPicture
    ? `The picture was made, but it could not be posted here (request ${requestId}). Try /stylize again with a smaller size; if it keeps happening, tell the bot's operator this request id.`
    : `This job's last message could not be posted in full (request ${requestId}).`;
}

/** Said to someone else who clicks Cancel where the platform has no moderators the bot can see (Slack). */
export function onlyRequesterCancelsText(): string {
  return 'Only the person who asked for this picture can cancel it.';
}

export function rerollExpiredText(keepMin: number): string {
  return keepMin > 0
    ? `The pictures for this job are no longer kept (they are kept for ${keepMin} minute${keepMin === 1 ? '' : 's'}). Run /stylize again with the same attachments.`
    : 'This bot does not keep pictures for rerolls. Run /stylize again with the same attachments.';
}

/** `/queue` for one user. */
export function queueStatusText(snapshot: QueueSnapshot, userId: string): string {
  const mine = snapshot.jobs.filter((j) => j.owner.userId === userId);
  const total =
    snapshot.length === 0
      ? 'The queue is empty.'
      : `${snapshot.length} job${snapshot.length === 1 ? '' : 's'} in the queue (${snapshot.running} running, ${snapshot.waiting} waiting).`;
  if (mine.length === 0) {
    const eta = snapshot.etaForNewJobMs > 0 ? ` A new job would be ready in about ${formatDuration(snapshot.etaForNewJobMs)}.` : '';
    return `${total} You have no job in it.${eta}`;
  }
  const lines = mine.map((j) =>
    j.state === 'running'
      ? `Your job is running; ready in about ${formatDuration(j.etaMs)}.`
      : `Your job is #${j.position} in line; ready in about ${formatDuration(j.etaMs)}.`,
  );
  return [total, ...lines].join('\n');
}

export function noJobToCancelText(): string {
  return 'You have no job waiting or running.';
}

/** Said to whoever cancelled (Cancel button or /cancel); the job message then says "Cancelled". */
export function cancelDoneText(was: 'queued' | 'running'): string {
  return was === 'running' ? 'Stopping your picture.' : 'Taken out of the queue.';
}

/** Said in place of "queued" while the starting message is being placed. */
export function sendingText(): string {
  return 'Sending your picture to the queue…';
}

export function startingNowText(etaMs?: number): string {
  return startedText(etaMs).replace('Started.', 'Starting now.');
}

/** Appended to the progress text when the message shows a new preview. */
export const PREVIEW_CAPTION = 'Preview:';

/** The result's facts, one formatter each: what /stylize shows next to the picture. */
export function resultFacts(stats: StylizeStats, width: number, height: number): { name: string; value: string }[] {
  return [
    { name: 'Seed', value: String(stats.seed) },
    { name: 'Size', value: `${width}×${height}` },
    { name: 'Backend', value: `${stats.backend}${stats.threads > 1 ? ` (${stats.threads} threads)` : ''}` },
    { name: 'Time', value: formatDuration(stats.ms) },
  ];
}

export const RESULT_TITLE = 'Stylized';
export const PARAMETERS_TITLE = 'Parameters';
export const DEFAULTS_TEXT = 'defaults';
export const BUTTON_LABELS = { cancel: 'Cancel', reroll: 'Reroll', params: 'Parameters' } as const;

export function requestFooter(requestId: string): string {
  return `request ${requestId}`;
}

/** The Parameters button: the options used and the command that makes the picture again. */
export function parametersText(lines: string[], command: string, bold: (s: string) => string): string {
  return `${bold(PARAMETERS_TITLE)}\n${lines.join('\n') || DEFAULTS_TEXT}\n\nTo make it again, attach the same pictures to:\n\`\`\`\n${command}\n\`\`\``;
}

export function resultComment(userMention: string, width: number, height: number): string {
  return `${userMention} here is your picture (${width}×${height}).`;
}

export function unknownOptionText(name: string): string {
  return `Unknown option “${name}”. Try /help for the list.`;
}

/** The schema's sentence for a refused value, or a plain one when it had none. */
export function optionErrorText(schemaSentence: string | undefined, name: string): string {
  return schemaSentence ?? `${name} is not valid.`;
}

export function oldButtonText(): string {
  return 'This button is from an older version of the bot; run /stylize again.';
}

export function unknownCommandText(): string {
  return 'This command is not known any more; the bot was updated. Try /help.';
}

/** Said when the job message cannot be placed where the command was run; nothing was queued. */
export function cannotPostText(platform: 'discord' | 'slack'): string {
  return platform === 'slack'
    ? 'I cannot post in this channel. Invite me to it (`/invite @` and my name) and try again.'
    : 'I cannot post in this channel. Ask a moderator to let me send messages here, or run /stylize with private:true.';
}

export function formExpiredText(): string {
  return 'This form has expired. Close it and run /stylize again.';
}

export function formNotOpenedText(): string {
  return 'The /stylize form could not be opened (Slack gives an app three seconds). Run /stylize again.';
}

export function attachOneText(what: string): string {
  return `Attach exactly one ${what}.`;
}

/** Slack hints for the form's file fields. */
export function fileHint(help: string): string {
  return `${help} (PNG, JPEG, WebP or GIF)`;
}

export const MOVED_TO_CHANNEL =
  'This is taking longer than Discord lets me update this reply, so it continues in a new message below.';
export const MOVED_TO_DM = 'This is taking longer than Discord lets me update this reply, so it continues in your direct messages with me.';
export const CHANNEL_FORBIDDEN =
  'This is taking longer than Discord lets me update this reply, and I am not allowed to post in this channel, so I will send the result to you in a direct message. If it does not arrive, allow direct messages from members of this server (Privacy Settings), or ask a moderator to let me send messages here and run /stylize again.';

/** /help on every platform; `bold` is the platform's markup. */
export function helpText(args: {
  surface: 'discord' | 'slack';
  optionLines: string[];
  examples: string[];
  bold: (s: string) => string;
  code: (s: string) => string;
}): string {
  const { bold, code } = args;
  const intro =
    args.surface === 'slack'
      ? `${bold('/stylize')} opens a form: attach a photo and a painting (and, if you like, a second painting to blend in), then pick the options below.`
      : `Attach a photo as ${bold('content')} and a painting as ${bold('style')}; the bot repaints the photo in that style.\nOptional ${bold('style2')} blends a second painting in.`;
  const lines = [intro, '', bold('Options'), ...args.optionLines.map((l) => `• ${l}`)];
  if (args.examples.length > 0) lines.push('', bold('Examples'), ...args.examples.map(code));
  lines.push(
    '',
    bold('Other commands'),
    args.surface === 'slack'
      ? '• /stylize help: this text. The Cancel button on a job message cancels it.'
      : '• /queue: your place in the queue and when your picture will be ready\n• /cancel: cancel your picture (the Cancel button does the same)',
    `When a picture is done, ${bold('Reroll')} makes another with a new seed and ${bold('Parameters')} shows the command to make it again.`,
  );
  return lines.join('\n');
}

/** Said under a result that had to be re-encoded (or shrunk) to fit the platform's upload limit. */
export function fittedNote(change: { quality: number } | { width: number; height: number }): string {
  return 'quality' in change
    ? `The PNG was too big to upload here, so this is a JPEG (quality ${change.quality}).`
    : `The picture was too big to upload here, so this is a ${change.width}×${change.height} JPEG.`;
}

/** Titles and labels on the platforms' own widgets. */
export const LABELS = {
  helpTitle: '/stylize help',
  formTitle: 'Stylize',
  formSubmit: 'Paint it',
  formClose: 'Cancel',
  previewTitle: 'Preview',
  previewAlt: 'Preview of the picture so far',
  resultTitle: 'Stylized picture',
  defaultOptions: 'default options',
} as const;
// ---- Attachment downloads (commands/attachments.ts); `what` is e.g. "The style image (a.png)". ----

export function downloadTimedOutText(what: string, timeoutMs: number): string {
  return `${what} took longer than ${formatDuration(timeoutMs)} to download, so the download was stopped. Attach it again, or a smaller file.`;
}

export function downloadRedirectedText(what: string): string {
  return `${what} could not be downloaded: its link redirects somewhere else, and this bot only downloads files uploaded to the chat itself. Upload the picture as an attachment.`;
}

export function notHttpsText(what: string): string {
  return `${what} has a plain http:// link; this bot downloads only over https, so nothing private travels in clear. Upload the picture as an attachment.`;
}

export function notALinkText(what: string, protocol: string): string {
  return `${what} is a ${protocol}// address, not a web link this bot can download. Upload the picture as an attachment.`;
}

/** How the sentences about one attachment name it: "The content image (cat.png)". */
export function attachmentName(label: string, fileName?: string): string {
  return fileName ? `The ${label} (${fileName})` : `The ${label}`;
}

/** `size` undefined: the download passed the limit before its size was known. */
export function attachmentTooBigText(what: string, size: number | undefined, maxBytes: number): string {
  const is = size === undefined ? 'is larger than' : `is ${formatBytes(size)}, more than`;
  return `${what} ${is} the ${formatBytes(maxBytes)} limit. Send a smaller picture (a screenshot or an export at lower resolution works).`;
}

export function attachmentEmptyText(what: string): string {
  return `${what} is empty (0 bytes). Attach the picture again.`;
}

export function noUsableLinkText(what: string): string {
  return `${what} has no usable link. Attach the picture to the command again.`;
}

export function foreignHostText(what: string, host: string): string {
  return `${what} comes from ${host}, and this bot only downloads files uploaded to the chat itself. Upload the picture as an attachment.`;
}

/** `status` undefined: the link did not answer at all. */
export function downloadFailedText(what: string, status?: number): string {
  const why = status === undefined ? 'the link did not answer' : `HTTP ${status}`;
  return `${what} could not be downloaded (${why}). Attach it again; links expire after a while.`;
}

export function downloadIncompleteText(what: string): string {
  return `${what} could not be downloaded completely. Attach it again.`;
}

/** `description` from the engine's describeNonImage: "a text file", "a PDF document", … */
export function notAPictureText(what: string, description: string): string {
  return `${what} is ${description}. Use a JPEG, PNG, WebP or GIF.`;
}

/** The job message while the queue's store (Redis) has been out of reach for a while. */
export function queueOutOfReachText(): string {
  return 'The picture queue is out of reach for the moment; your picture is safe and will continue when it is back.';
}

/** The bot was stopped at once (a second signal) while this job waited or ran. */
export function stoppedNowText(requestId: string, kept: boolean): string {
  return kept
    ? `The bot was stopped before your picture was finished; it is kept in the queue and continues when the bot is back (request ${requestId}).`
    : `The bot was stopped before your picture was finished, and the picture was lost; please run /stylize again once the bot is back (request ${requestId}).`;
}

/** Said at the next start, for a job the process before lost without a word (killed, crashed). */
export function lostInRestartText(requestId: string): string {
  return `The bot stopped unexpectedly while making your picture, and the picture was lost; please run /stylize again (request ${requestId}).`;
}

/* ---- The instant lane: the fast picture shown while the painting waits ---- */

/** The line above a job's painting text that says where its instant picture stands. */
export function instantLineText(instant: { state: 'making'; etaMs: number } | { state: 'shown'; ms: number } | { state: 'replaced' } | { state: 'none' }): string | undefined {
  switch (instant.state) {
    case 'making':
      return `⚡ Instant picture: coming in about ${formatDuration(Math.max(1000, instant.etaMs))}…`;
    case 'shown':
      return `⚡ Instant picture below (made in ${instant.ms < 1000 ? `${(instant.ms / 1000).toFixed(1)} s` : formatDuration(instant.ms)}). The painting replaces it when its turn comes; Keep this keeps it and frees your place.`;
    case 'replaced':
      return '⚡ Instant picture done; the painting has taken its place below.';
    case 'none':
      return undefined;
  }
}

/** Said to whoever pressed Keep this; the job message then shows the kept picture. */
export function keepDoneText(): string {
  return 'Keeping this picture; the painting is stopped and your place freed.';
}

/** The final text of a job whose picture was kept. */
export function keptText(): string {
  return 'Kept this picture. The painting was stopped and your place in line freed.';
}

export const KEEP_LABEL = 'Keep this';

/** `/queue`'s line about the instant part: when a new instant picture would come, and whether yours is shown. */
export function instantQueueText(laneEtaMs: number | undefined, mineShown: boolean): string | undefined {
  const yours = mineShown ? ' Yours is shown in your job message.' : '';
  if (laneEtaMs === undefined) return mineShown ? yours.trim() : undefined;
  return `⚡ Instant pictures come at once, beside the queue: a new one would take about ${formatDuration(laneEtaMs)}.${yours}`;
}
