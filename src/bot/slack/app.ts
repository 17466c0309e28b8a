import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, SocketModeReceiver, webApi, type BlockAction, type ButtonAction } from '@slack/bolt';
import { downloadImage, InputError } from '../../commands/attachments.js';
import { helpLines } from '../../commands/options.js';
import { cancelFor } from '../../commands/job-actions.js';
import { EditPacer } from '../../commands/pacer.js';
import { newRequestId } from '../../commands/request-id.js';
import { internalErrorText } from '../../commands/texts.js';
import { refusedCredential, type Env } from '../../config.js';
import type { StylizeOptions } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { JobHandle, JobQueue } from '../../queue/index.js';
import { QueueRejection } from '../../queue/types.js';
import { boltLogger } from './bolt-logger.js';
import {
  buildModal,
  CONTENT_BLOCK,
  type Submission,
  MODAL_CALLBACK_ID,
  readMetadata,
  readSubmission,
  SubmissionErrors,
  type SubmittedFile,
  type ViewStateValues,
} from './modal.js';
import { CANCEL_ACTION, jobMessage, type JobView, type SlackMessage } from './messages.js';
import { PendingWork, raceTimeout } from '../../util/pending-work.js';
import { CallGate } from './rate.js';

type WebClient = webApi.WebClient;

/** What the Slack adapter needs from the queue. */
export type SlackJobQueue = Pick<JobQueue, 'submit' | 'cancel' | 'positionOf'>;

export interface SlackAppOptions {
  env: Env;
  queue: SlackJobQueue;
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
  /** Engine options applied under the user's choices (operators, tests: e.g. fewer iterations). */
  jobDefaults?: Partial<StylizeOptions>;
}

export interface RunningSlackApp {
  /** The HTTP port receiving Slack's requests; undefined in Socket Mode. */
  port?: number;
  stop(): Promise<void>;
}

interface Requester {
  userId: string;
  teamId?: string;
  channel: string;
  requestId: string;
}

/** Only the requester sees it; failures to tell are logged, not thrown. */
async function tellUser(client: WebClient, who: Requester, text: string, log: Logger): Promise<void> {
  await client.chat
    .postEphemeral({ channel: who.channel, user: who.userId, text })
    .then(() => undefined)
    .catch((err: unknown) => log.warn({ err }, 'could not post an ephemeral message'));
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
  const { env, queue, logger } = options;
  const log = logger.child({ platform: 'slack' });
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
  const app = new App({
    token: botToken,
    ...(socketReceiver ? { receiver: socketReceiver } : { signingSecret: env.SLACK_SIGNING_SECRET }),
    clientOptions,
    logger: boltLog,
  });
  const updates = new CallGate(options.updatesPerMinute ?? 40);
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
      await ack({ response_type: 'ephemeral', text: helpText(env.MAX_IMAGE_SIZE) });
      return;
    }
    await ack();
    // The trigger id expires three seconds after the command, so the modal opens right away.
    try {
      await client.views.open({
        trigger_id: body.trigger_id,
        view: buildModal({ channelId: body.channel_id }, env.MAX_IMAGE_SIZE) as never,
      });
    } catch (err) {
      log.warn({ err, userId: body.user_id }, 'views.open failed');
      // Through the command's response_url: it works even where the bot is not a channel member.
      await respond({
        response_type: 'ephemeral',
        text: ':warning: The /stylize form could not be opened (Slack gives an app three seconds). Run /stylize again.',
      }).catch((e: unknown) => log.warn({ err: e }, 'could not answer the command'));
    }
  });

  app.view(MODAL_CALLBACK_ID, async ({ ack, body, view, client }) => {
    const meta = readMetadata(view.private_metadata);
    let submission: Submission;
    try {
      if (!meta)
        throw new SubmissionErrors({
          [CONTENT_BLOCK]: 'This form has expired. Close it and run /stylize again.',
        });
      submission = readSubmission(view.state.values as ViewStateValues, env.MAX_IMAGE_SIZE);
    } catch (e) {
      if (!(e instanceof SubmissionErrors)) throw e;
      await ack({ response_action: 'errors', errors: e.errors });
      return;
    }
    // The modal closes now; downloads may take longer than Slack's three seconds for an answer.
    await ack();
    const who: Requester = {
      userId: body.user.id,
      teamId: body.team?.id ?? body.user.team_id,
      channel: meta.channelId,
      requestId: newRequestId(),
    };
    const jobLog = log.child({ requestId: who.requestId, userId: who.userId, channel: who.channel });
    track(
      startJob(client, who, submission, jobLog).catch(async (err: unknown) => {
        jobLog.error({ err }, 'could not start the job');
        await tellUser(client, who, `:x: ${internalErrorText(who.requestId)}`, jobLog);
      }),
    );
  });

  async function startJob(
    client: WebClient,
    who: Requester,
    submission: Submission,
    jobLog: Logger,
  ): Promise<void> {
    let content, style;
    try {
      [content, style] = await Promise.all([
        download(client, submission.content, 'photo'),
        download(client, submission.style, 'style image'),
      ]);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      jobLog.info({ reason: e.message }, 'refused input');
      await tellUser(client, who, `:warning: ${e.message}`, jobLog);
      return;
    }

    // No seed here: the seed is not a Slack option (see optionsFor('slack')) and Slack has no
    // Reroll, so the engine's fixed default applies and the same inputs give the same picture.
    const { engine, given } = submission.options;
    let handle: JobHandle;
    try {
      handle = queue.submit({
        owner: { userId: who.userId, platform: 'slack', serverId: who.teamId },
        request: {
          content: content.bytes,
          styles: [{ bytes: style.bytes }],
          options: { ...options.jobDefaults, ...engine },
        },
        requestId: who.requestId,
      });
    } catch (e) {
      if (!(e instanceof QueueRejection)) throw e;
      jobLog.info({ code: e.code }, 'job refused by the queue');
      await tellUser(client, who, `:hourglass: ${e.message}`, jobLog);
      return;
    }
    await followJob(client, handle, who, given, jobLog);
  }

  async function download(client: WebClient, file: SubmittedFile, label: string) {
    let url = file.url_private_download ?? file.url_private;
    let { size, name } = file;
    if (!url) {
      // Some payloads carry only the file id; files.info has the private URL.
      const info = await client.files.info({ file: file.id });
      url = info.file?.url_private_download ?? info.file?.url_private;
      size ??= info.file?.size;
      name ??= info.file?.name;
    }
    return downloadImage({ url: url ?? '', name, size, label }, downloadPolicy);
  }

  async function followJob(
    client: WebClient,
    handle: JobHandle,
    who: Requester,
    given: Record<string, unknown>,
    jobLog: Logger,
  ): Promise<void> {
    const position = queue.positionOf(handle.id);
    const view: JobView = {
      jobId: handle.id,
      requestId: who.requestId,
      userId: who.userId,
      given,
      phase: position === 0 ? { kind: 'running' } : { kind: 'queued', position: position ?? 1 },
    };
    // Events can arrive before the message exists; edits start once there is a ts to edit.
    let ts: string | undefined;
    const pacer = new EditPacer<SlackMessage>({
      intervalMs: options.updateIntervalMs ?? 3000,
      key: (m) => m.text,
      send: (m) =>
        updates
          .run(() => client.chat.update({ channel: who.channel, ts: ts ?? '', text: m.text, blocks: m.blocks as never }))
          .then(() => undefined),
      onError: (err) => jobLog.warn({ err }, 'chat.update failed'),
    });
    const show = (): void => {
      if (ts !== undefined) pacer.push(jobMessage(view));
    };
    handle.on('queued', (info) => {
      view.phase = { kind: 'queued', position: info.position, etaMs: info.etaMs };
      show();
    });
    handle.on('position', (info) => {
      view.phase = { kind: 'queued', position: info.position, etaMs: info.etaMs };
      show();
    });
    handle.on('started', (info) => {
      view.phase = { kind: 'running', etaMs: info.etaMs };
      show();
    });
    handle.on('progress', (p) => {
      view.phase = { kind: 'running', progress: p, etaMs: p.etaMs };
      show();
    });

    const first = jobMessage(view);
    try {
      const posted = await client.chat.postMessage({
        channel: who.channel,
        text: first.text,
        blocks: first.blocks as never,
      });
      ts = posted.ts ?? '';
    } catch (err) {
      pacer.cancel();
      // Without a message there is no Cancel button and nowhere to report: do not keep the job.
      await queue.cancel(handle.id, { userId: who.userId });
      jobLog.warn({ err }, 'could not post the job message; job cancelled');
      await tellUser(client, who, ':warning: I cannot post in this channel. Invite me to it (`/invite @` and my name) and try again.', jobLog);
      return;
    }
    // Events that came while the message was being posted.
    if (jobMessage(view).text !== first.text) show();

    const outcome = await handle.settled;
    handle.removeAllListeners();
    view.phase = { kind: 'settled', outcome };
    if (outcome.status === 'done') {
      const { result } = outcome;
      try {
        await client.filesUploadV2({
          channel_id: who.channel,
          file: Buffer.from(result.image),
          filename: `stylized.${result.mime === 'image/png' ? 'png' : 'jpg'}`,
          title: 'Stylized picture',
          initial_comment: `<@${who.userId}> here is your picture (${result.width}×${result.height}).`,
        });
      } catch (err) {
        jobLog.error({ err }, 'upload failed');
        view.phase = {
          kind: 'settled',
          outcome: {
            status: 'failed',
            failure: {
              kind: 'engine',
              message: 'The picture was painted but could not be uploaded to Slack. Try again in a minute.',
            },
          },
        };
      }
    }
    await pacer.finish(jobMessage(view));
    jobLog.info({ status: outcome.status }, 'job settled');
  }

  app.action<BlockAction<ButtonAction>>(CANCEL_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    // Slack has no per-channel moderator role the app can see cheaply: only the requester cancels.
    const result = await cancelFor(queue, action.value ?? '', { userId: body.user.id, moderator: false });
    log.info({ jobId: action.value, userId: body.user.id, ok: result.ok }, 'cancel clicked');
    // The clicker hears the outcome (as on Discord); on success the job message's last edit follows.
    const channel = body.channel?.id ?? body.container?.channel_id;
    if (channel)
      await client.chat.postEphemeral({
        channel,
        user: body.user.id,
        text: result.ok ? result.message : `:no_entry: ${result.message}`,
      });
  });

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
  const server = (await app.start(env.SLACK_PORT)) as Server;
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'Slack app listening for events on /slack/events');
  return {
    port,
    stop: drainThen(async () => {
      const closed = app.stop();
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

function helpText(sizeCap: number): string {
  return [
    '*/stylize* opens a form: attach a photo and a painting, then pick the options below.',
    ...helpLines('slack', sizeCap).map((l) => `• ${l}`),
  ].join('\n');
}
