import { App, HTTPReceiver, SocketModeReceiver, webApi, type BlockAction, type ButtonAction } from '@slack/bolt';
import PQueue from 'p-queue';
import type { AttachmentRef } from '../../commands/attachments.js';
import { cancelJob } from '../../commands/cancel.js';
import type { CommandContext } from '../../commands/context.js';
import { JobFlow, type InstantLane } from '../../commands/flow.js';
import { help, type Markup } from '../../commands/help.js';
import { ITERATE_KINDS, iterated, startIteration, type IterateKind } from '../../commands/iterate.js';
import { parametersMessage } from '../../commands/job-actions.js';
import { keepJob } from '../../commands/keep.js';
import { newRequestId } from '../../commands/request-id.js';
import { RerollStore } from '../../commands/reroll-store.js';
import { reroll, storedInputs, stylize } from '../../commands/stylize.js';
import { formExpiredText, formNotOpenedText, internalErrorText, onlyRequesterCancelsText, rerollExpiredText } from '../../commands/texts.js';
import { refusedCredential, type Env } from '../../config.js';
import type { StylizeOptions } from '../../engine/index.js';
import type { Logger } from '../../log.js';
import type { JobQueuePort } from '../../queue/port.js';
import { PendingWork, raceTimeout } from '../../util/pending-work.js';
import { savedStylesFor } from '../../commands/style-library/by-name.js';
import type { StyleLibrary } from '../../commands/style-library/library.js';
import { libraryOf } from '../../commands/style-library/store.js';
import { boltLogger } from './bolt-logger.js';
import { registerLibrary } from './library.js';
import { startEventsServer } from './events-server.js';
import { SlackJobView, type SlackViewOptions } from './job-view.js';
import { CANCEL_ACTION, ITERATE_ACTIONS, KEEP_ACTION, PARAMS_ACTION, REROLL_ACTION } from './messages.js';
import { buildModal, CONTENT_BLOCK, LIBRARY_BLOCK, MODAL_CALLBACK_ID, STYLE_BLOCK, readMetadata, readSubmission, SubmissionErrors, type Submission, type SubmittedFile, type ViewStateValues } from './modal.js';

type WebClient = webApi.WebClient;

export interface SlackAppOptions {
  env: Env;
  /** The shared context (app.ts); without it the app makes its own flow on `queue`. */
  commands?: CommandContext;
  queue?: JobQueuePort;
  logger: Logger;
  /** Least time between two edits of one progress message. Default 3000. */
  updateIntervalMs?: number;
  /**
   * Most `chat.update` calls a minute over all job messages together. Default 40: Slack's Tier 3
   * allows about 50 per workspace, and the WebClient retries the rare 429 after Retry-After.
   */
  updatesPerMinute?: number;
  /** How long `stop()` waits for job messages to get their last edit and upload. Default 30 s. */
  drainMs?: number;
  /** Fractions of progress at which a preview is shown (own flow only). */
  previewAt?: number[];
  /** Engine options applied under the user's choices (own context only; tests: fewer iterations). */
  jobDefaults?: Partial<StylizeOptions>;
  /** The instant lane (own context only). */
  lane?: InstantLane;
  /** The style library (own context only). */
  styles?: StyleLibrary;
}

export interface RunningSlackApp {
  /** The HTTP port receiving Slack's requests; undefined in Socket Mode. */
  port?: number;
  stop(): Promise<void>;
}

const SLACK_MARKUP: Markup = { bold: (s) => `*${s}*`, code: (s) => `\`${s}\`` };

/** Only the requester sees it; failures to tell are logged, not thrown. */
async function tellUser(client: WebClient, who: { channel: string; userId: string }, text: string, log: Logger): Promise<void> {
  await client.chat
    .postEphemeral({ channel: who.channel, user: who.userId, text })
    .then(() => undefined)
    .catch((err: unknown) => log.warn({ err }, 'could not post an ephemeral message'));
}

/** The context app.ts would give, for a Slack app started on its own (tests, a Slack-only process). */
function ownContext(options: SlackAppOptions): CommandContext {
  if (!options.queue) throw new Error('startSlackApp needs a queue or a command context');
  const rerolls = new RerollStore({ keepMinutes: options.env.REROLL_KEEP_MIN });
  return {
    queue: options.queue,
    flow: new JobFlow({ queue: options.queue, rerolls, logger: options.logger, previewAt: options.previewAt, lane: options.lane }),
    logger: options.logger,
    sizeCap: options.env.MAX_IMAGE_SIZE,
    rerollKeepMin: options.env.REROLL_KEEP_MIN,
    jobDefaults: options.jobDefaults,
    styles: options.styles,
  };
}

/** Slack hosts uploaded files here; the API host is allowed too so a loopback fake can serve them. */
const SLACK_FILE_HOST = 'files.slack.com';

/**
 * The WebClient's default retries a failed call ten times over half an hour, which would keep a
 * job message (and shutdown) waiting on an unreachable Slack. A 429 is still retried after its
 * Retry-After; a dead connection gives up after about 15 s.
 */
const RETRY = { retries: 4, factor: 2, minTimeout: 1000, maxTimeout: 8000, randomize: true };


/**
 * The Slack app: `/stylize` opens a modal, its submission becomes a job in the shared queue, one
 * channel message follows the job (position, progress, Cancel) and the result is uploaded.
 * HTTP mode with the signing secret, or Socket Mode when SLACK_APP_TOKEN is set.
 */
export async function startSlackApp(options: SlackAppOptions): Promise<RunningSlackApp> {
  const { env } = options;
  const ctx = options.commands ?? ownContext(options);
  const log = options.logger.child({ platform: 'slack' });
  const botToken = env.SLACK_BOT_TOKEN;
  if (!botToken) throw new Error('startSlackApp needs SLACK_BOT_TOKEN');
  const socketMode = env.SLACK_APP_TOKEN !== undefined;
  if (!socketMode && !env.SLACK_SIGNING_SECRET)
    throw new Error('startSlackApp needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)');

  const clientOptions = { slackApiUrl: env.SLACK_API_URL, retryConfig: RETRY };
  const boltLog = boltLogger(log);
  // Bolt checks the bot token in a promise nobody awaits (an unhandled rejection, a stack trace):
  // it is checked here first, so a refusal is one line.
  await checkCredentials(env, { ...clientOptions, logger: boltLog });
  // Built here (not by App) so stop() can wait until the WebSocket is really closed.
  const socketReceiver = socketMode
    ? new SocketModeReceiver({
        appToken: env.SLACK_APP_TOKEN ?? '',
        logger: boltLog,
        installerOptions: { clientOptions },
      })
    : undefined;
  // HTTP mode: Bolt's listener only, served by startEventsServer, which bounds the body.
  const httpReceiver = socketReceiver ? undefined : new HTTPReceiver({ signingSecret: env.SLACK_SIGNING_SECRET ?? '', logger: boltLog });
  const app = new App({
    token: botToken,
    receiver: socketReceiver ?? httpReceiver,
    clientOptions,
    logger: boltLog,
  });
  // One chat.update start per interval over all job messages: the workspace's limit, not a message's.
  const updates = new PQueue({ concurrency: 1, intervalCap: 1, interval: 60_000 / (options.updatesPerMinute ?? 40) });
  const viewOptions = (client: WebClient, logger: Logger): SlackViewOptions => ({
    client,
    updates,
    editIntervalMs: options.updateIntervalMs ?? 3000,
    logger,
  });
  ctx.flow.register('slack', (reply) => SlackJobView.fromReply(reply, viewOptions(app.client, log)));
  /** Job messages still to be finished (last edit, upload); stop() waits for them. */
  const live = new PendingWork();
  const track = (p: Promise<void>): void => live.track(p);

  const downloadPolicy = {
    allowedHosts: [SLACK_FILE_HOST, new URL(env.SLACK_API_URL).host.toLowerCase()],
    maxBytes: env.MAX_INPUT_BYTES,
    headers: { Authorization: `Bearer ${botToken}` },
  };

  app.command('/stylize', async ({ ack, body, client, respond }) => {
    if (/^\s*help\s*$/i.test(body.text)) {
      await ack({ response_type: 'ephemeral', text: help('slack', env.MAX_IMAGE_SIZE, SLACK_MARKUP) });
      return;
    }
    await ack();
    // The trigger id expires three seconds after the command, so the modal opens right away.
    try {
      const saved = ctx.styles ? (await ctx.styles.list(libraryOf('slack', body.team_id))).map((s) => s.name) : [];
      await client.views.open({
        trigger_id: body.trigger_id,
        view: buildModal({ channelId: body.channel_id }, env.MAX_IMAGE_SIZE, saved) as never,
      });
    } catch (err) {
      log.warn({ err, userId: body.user_id }, 'views.open failed');
      // Through the command's response_url: it works even where the bot is not a channel member.
      await respond({ response_type: 'ephemeral', text: `:warning: ${formNotOpenedText()}` }).catch((e: unknown) =>
        log.warn({ err: e }, 'could not answer the command'),
      );
    }
  });

  app.view(MODAL_CALLBACK_ID, async ({ ack, body, view, client }) => {
    const meta = readMetadata(view.private_metadata);
    let submission: Submission;
    try {
      if (!meta) throw new SubmissionErrors({ [CONTENT_BLOCK]: formExpiredText() });
      submission = readSubmission(view.state.values as ViewStateValues, env.MAX_IMAGE_SIZE);
    } catch (e) {
      if (!(e instanceof SubmissionErrors)) throw e;
      await ack({ response_action: 'errors', errors: e.errors });
      return;
    }
    const teamId = body.team?.id ?? body.user.team_id;
    const saved = await savedStylesFor(ctx, { platform: 'slack', serverId: teamId }, submission.styleName, submission.files.length - 1);
    if ('error' in saved) {
      await ack({ response_action: 'errors', errors: { [submission.styleName ? LIBRARY_BLOCK : STYLE_BLOCK]: saved.error } });
      return;
    }
    // The modal closes now; downloads may take longer than Slack's three seconds for an answer.
    await ack();
    const who = { userId: body.user.id, teamId: body.team?.id ?? body.user.team_id, channel: meta.channelId };
    const requestId = newRequestId();
    const jobLog = log.child({ requestId, userId: who.userId, channel: who.channel });
    const run = async () => {
      const attachments = await Promise.all(submission.files.map(({ input, file }) => attachmentRef(client, file, input.label)));
      await stylize(ctx, {
        options: submission.options,
        attachments,
        savedStyles: saved.savedStyles,
        download: downloadPolicy,
        owner: { userId: who.userId, platform: 'slack', serverId: who.teamId },
        requestId,
        view: new SlackJobView({ channel: who.channel, userId: who.userId }, viewOptions(client, jobLog)),
        logger: jobLog,
      });
    };
    track(
      run().catch(async (err: unknown) => {
        jobLog.error({ err }, 'could not start the job');
        await tellUser(client, who, `:x: ${internalErrorText(requestId)}`, jobLog);
      }),
    );
  });

  /** Slack's private URL of a submitted file (some payloads carry only the id; files.info has it). */
  async function attachmentRef(client: WebClient, file: SubmittedFile, label: string): Promise<AttachmentRef> {
    let url = file.url_private_download ?? file.url_private;
    let { size, name } = file;
    if (!url) {
      const info = await client.files.info({ file: file.id });
      url = info.file?.url_private_download ?? info.file?.url_private;
      size ??= info.file?.size;
      name ??= info.file?.name;
    }
    return { url: url ?? '', name, size, label };
  }

  /** The channel of a clicked message, and an ephemeral answer to the one who clicked. */
  const clickContext = (body: BlockAction<ButtonAction>, client: WebClient) => {
    const channel = body.channel?.id ?? body.container?.channel_id;
    const answer = async (text: string) => {
      if (channel) await tellUser(client, { channel, userId: body.user.id }, text, log);
    };
    return { channel, answer };
  };

  app.action<BlockAction<ButtonAction>>(CANCEL_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    // Slack has no per-channel moderator role the app can see cheaply: only the requester cancels.
    const result = await cancelJob(ctx, action.value ?? '', { userId: body.user.id, moderator: false });
    // The clicker hears the outcome (as on Discord); on success the job message's last edit follows.
    // The queue's refusal offers a moderator, a path Slack does not have here.
    const refusal = result.code === 'not-allowed' ? onlyRequesterCancelsText() : result.message;
    await clickContext(body, client).answer(result.ok ? result.message : `:no_entry: ${refusal}`);
  });

  app.action<BlockAction<ButtonAction>>(KEEP_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const result = await keepJob(ctx, action.value ?? '', { userId: body.user.id });
    // The queue's sentence: Keep this is the requester's alone, so it offers no moderator.
    await clickContext(body, client).answer(result.ok ? result.message : `:no_entry: ${result.message}`);
  });

  app.action<BlockAction<ButtonAction>>(PARAMS_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const inputs = await storedInputs(ctx, action.value ?? '');
    await clickContext(body, client).answer(inputs ? parametersMessage(inputs, 'slack', SLACK_MARKUP.bold) : rerollExpiredText(ctx.rerollKeepMin));
  });

  /** Reroll, More style, Less style and HD: a new job from the kept inputs, or a private sentence why not. */
  const fromKept = (kind: 'reroll' | IterateKind) => async ({ ack, body, action, client }: { ack: () => Promise<void>; body: BlockAction<ButtonAction>; action: ButtonAction; client: WebClient }) => {
    await ack();
    const { channel, answer } = clickContext(body, client);
    const inputs = await storedInputs(ctx, action.value ?? '');
    if (!inputs || !channel) {
      await answer(rerollExpiredText(ctx.rerollKeepMin));
      return;
    }
    const next = kind === 'reroll' ? undefined : iterated(kind, inputs, ctx.sizeCap);
    if (next && !next.ok) {
      await answer(next.message);
      return;
    }
    const requestId = newRequestId();
    const userId = body.user.id;
    const jobLog = log.child({ requestId, userId, channel, button: kind });
    const run = {
      owner: { userId, platform: 'slack' as const, serverId: body.team?.id ?? body.user.team_id },
      requestId,
      view: new SlackJobView({ channel, userId }, viewOptions(client, jobLog)),
      logger: jobLog,
    };
    track(
      (next ? startIteration(ctx, next.inputs, run) : reroll(ctx, inputs, run)).catch(async (err: unknown) => {
        jobLog.error({ err }, 'could not start the job');
        await answer(`:x: ${internalErrorText(requestId)}`);
      }),
    );
  };
  app.action<BlockAction<ButtonAction>>(REROLL_ACTION, fromKept('reroll'));
  for (const kind of ITERATE_KINDS) app.action<BlockAction<ButtonAction>>(ITERATE_ACTIONS[kind], fromKept(kind));

  registerLibrary(app, { ctx, maxInputBytes: env.MAX_INPUT_BYTES, download: downloadPolicy, viewOptions, track, tell: tellUser, logger: log });

  app.error(async (err) => {
    log.error({ err }, 'unhandled error in a Slack handler');
  });

  /** Lets the last edits and uploads go out (bounded), then closes the receiver. */
  const drainThen = (close: () => Promise<void>) => {
    let stopped: Promise<void> | undefined;
    return () =>
      (stopped ??= (async () => {
        await live.drain(options.drainMs ?? 30_000);
        if (live.size > 0) log.warn({ jobs: live.size }, 'stopping with job messages not finished');
        await close();
        updates.clear();
        log.info('Slack app stopped');
      })());
  };

  if (socketReceiver) {
    await app.start().catch((e: unknown) => {
      throw appTokenRefusal(e);
    });
    log.info('Slack app connected (Socket Mode)');
    // SocketModeReceiver.stop() does not wait for the socket to close; disconnect() does.
    return { stop: drainThen(() => socketReceiver.client.disconnect()) };
  }
  const { server, port } = await startEventsServer(httpReceiver!, env.SLACK_PORT);
  log.info({ port }, 'Slack app listening for events on /slack/events');
  return {
    port,
    stop: drainThen(async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive sockets would hold close() open; nothing more is coming on them.
      server.closeIdleConnections();
      await raceTimeout(closed, 5000);
      server.closeAllConnections();
      await closed;
    }),
  };
}

/** Slack's answers that mean "this token is wrong", as opposed to Slack being unreachable. */
const REFUSED = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type', 'invalid_token']);

async function checkCredentials(env: Env, clientOptions: webApi.WebClientOptions): Promise<void> {
  const refused = (e: unknown): string | undefined => {
    const error = (e as { code?: string; data?: { error?: unknown } }).code === webApi.ErrorCode.PlatformError ? (e as { data?: { error?: unknown } }).data?.error : undefined;
    return typeof error === 'string' && REFUSED.has(error) ? error : undefined;
  };
  await new webApi.WebClient(env.SLACK_BOT_TOKEN, clientOptions).auth.test().catch((e: unknown) => {
    const reason = refused(e);
    throw reason ? refusedCredential('SLACK_BOT_TOKEN', 'Slack', reason) : e;
  });
}

/** Socket Mode's start fails (without retrying) when Slack refuses the app token: say which one. */
function appTokenRefusal(e: unknown): unknown {
  const error = (e as { code?: string; data?: { error?: unknown } }).code === webApi.ErrorCode.PlatformError ? (e as { data?: { error?: unknown } }).data?.error : undefined;
  return typeof error === 'string' && REFUSED.has(error) ? refusedCredential('SLACK_APP_TOKEN', 'Slack', error) : e;
}
