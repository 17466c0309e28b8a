/**
 * The channel message that follows one Slack job, rebuilt from channel + message ts (what the
 * queue keeps with the job). Previews are uploaded as files shared nowhere and shown in an image
 * block; the result is uploaded into the channel, then the message gets its last edit.
 */
import type { webApi } from '@slack/bolt';
import type PQueue from 'p-queue';
import type { JobView, Screen } from '../../commands/job-view.js';
import { LABELS, resultComment, sendingText } from '../../commands/texts.js';
import type { Logger } from '../../log.js';
import type { ReplyTarget } from '../../queue/port.js';
import { jobMessage } from './messages.js';

type WebClient = webApi.WebClient;

export interface SlackReplyData {
  channel: string;
  userId: string;
  /** The job message; set by `open()`. */
  ts?: string;
}

export interface SlackViewOptions {
  client: WebClient;
  /** Spaces chat.update calls of all job messages together (Slack limits them per workspace). */
  updates: PQueue;
  editIntervalMs: number;
  logger: Logger;
}

/** Slack takes files up to 1 GB; results are far below, so they are never re-encoded. */
const SLACK_UPLOAD_LIMIT = 1024 * 1024 * 1024;

export class SlackJobView implements JobView {
  readonly platform = 'slack';
  readonly uploadLimit = SLACK_UPLOAD_LIMIT;
  readonly lost = false;
  private previewFileId?: string;

  constructor(
    private readonly data: SlackReplyData,
    private readonly opts: SlackViewOptions,
  ) {}

  static fromReply(reply: ReplyTarget, opts: SlackViewOptions): SlackJobView {
    const { channel, userId, ts } = reply.data;
    if (typeof channel !== 'string' || typeof userId !== 'string') throw new Error('not a Slack reply target');
    return new SlackJobView({ channel, userId, ...(typeof ts === 'string' ? { ts } : {}) }, opts);
  }

  get editIntervalMs(): number {
    return this.opts.editIntervalMs;
  }

  private get client(): WebClient {
    return this.opts.client;
  }

  // Posted before the job is queued: a channel the bot cannot post in costs nobody a queue slot.
  async open(): Promise<ReplyTarget> {
    if (!this.data.ts) {
      const first = jobMessage(this.data.userId, { text: sendingText(), parameters: [], final: false });
      const posted = await this.client.chat.postMessage({ channel: this.data.channel, text: first.text, blocks: first.blocks as never });
      if (!posted.ts) throw new Error('chat.postMessage returned no ts');
      this.data.ts = posted.ts;
    }
    return { platform: 'slack', data: { ...this.data } };
  }

  async refuse(text: string): Promise<void> {
    if (this.data.ts) {
      await this.client.chat.delete({ channel: this.data.channel, ts: this.data.ts }).catch((err: unknown) => this.opts.logger.warn({ err }, 'could not remove the job message'));
      this.data.ts = undefined;
    }
    await this.client.chat.postEphemeral({ channel: this.data.channel, user: this.data.userId, text });
  }

  async show(screen: Screen): Promise<void> {
    if (screen.preview) {
      const uploaded = await this.client.filesUploadV2({
        file: Buffer.from(screen.preview.image),
        filename: screen.preview.name,
        title: LABELS.previewTitle,
      });
      this.previewFileId = fileIdOf(uploaded) ?? this.previewFileId;
    }
    if (screen.result) {
      const { picture } = screen.result;
      await this.client.filesUploadV2({
        channel_id: this.data.channel,
        file: Buffer.from(picture.image),
        filename: picture.name,
        title: LABELS.resultTitle,
        initial_comment: resultComment(`<@${this.data.userId}>`, picture.width, picture.height),
      });
    }
    const message = jobMessage(this.data.userId, screen, this.previewFileId);
    const ts = this.data.ts;
    if (!ts) throw new Error('the job message was never posted');
    await this.opts.updates.add(() => this.client.chat.update({ channel: this.data.channel, ts, text: message.text, blocks: message.blocks as never }));
  }
}

function fileIdOf(result: unknown): string | undefined {
  const files = (result as { files?: { files?: { id?: string }[] }[] }).files;
  return files?.[0]?.files?.[0]?.id;
}
