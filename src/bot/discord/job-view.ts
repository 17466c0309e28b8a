/**
 * The one message a Discord job lives in, rebuilt from serialisable data (application id,
 * interaction token and its expiry, channel, user, private flag), so a restarted process can keep
 * answering: it edits the interaction's original response through Discord's webhook endpoints.
 * Interaction tokens die after 15 minutes, so shortly before that (or when Discord already answers
 * "Invalid Webhook Token") the job continues in a channel message sent with the bot token — a direct
 * message for private jobs, or when the bot may not post in the channel. Whatever happens, the
 * user is told where to look.
 */
import { MessageFlags, Routes, type REST } from 'discord.js';
import type { JobView, Screen } from '../../commands/job-view.js';
import { CHANNEL_FORBIDDEN, MOVED_TO_CHANNEL, MOVED_TO_DM } from '../../commands/texts.js';
import type { Logger } from '../../log.js';
import type { ReplyTarget } from '../../queue/port.js';
import { isDeadToken, isForbidden } from './api-errors.js';
import type { DiscordTuning } from './context.js';
import { renderScreen, type Message } from './views.js';

/** What a Discord job's reply target holds: everything needed to answer without the interaction. */
export interface DiscordReplyData {
  applicationId: string;
  interactionToken: string;
  /** Epoch ms when the token stops working. */
  tokenExpiresAt: number;
  channelId?: string;
  userId: string;
  private: boolean;
  /** Bytes one file may have here (the interaction's attachment_size_limit, less headroom). */
  uploadLimit: number;
}

function isDiscordReplyData(data: Record<string, unknown>): data is Record<string, unknown> & DiscordReplyData {
  return typeof data.applicationId === 'string' && typeof data.interactionToken === 'string' && typeof data.userId === 'string';
}

type Place = { kind: 'interaction' } | { kind: 'channel' | 'dm'; channelId?: string; messageId?: string } | { kind: 'lost' };

export class DiscordJobView implements JobView {
  readonly platform = 'discord';
  private place: Place = { kind: 'interaction' };

  constructor(
    private readonly rest: REST,
    private readonly data: DiscordReplyData,
    private readonly opts: { tuning: DiscordTuning; logger: Logger },
  ) {}

  static fromReply(rest: REST, reply: ReplyTarget, opts: { tuning: DiscordTuning; logger: Logger }): DiscordJobView {
    if (!isDiscordReplyData(reply.data)) throw new Error('not a Discord reply target');
    return new DiscordJobView(rest, reply.data, opts);
  }

  get uploadLimit(): number {
    return this.data.uploadLimit;
  }

  get editIntervalMs(): number {
    return this.opts.tuning.editIntervalMs;
  }

  get lost(): boolean {
    return this.place.kind === 'lost';
  }

  /** Where the job is shown now: 'interaction', 'channel', 'dm' or 'lost'. */
  get where(): Place['kind'] {
    return this.place.kind;
  }

  // The interaction was deferred by the command: its "thinking…" reply is the job's message.
  async open(): Promise<ReplyTarget> {
    return { platform: 'discord', data: { ...this.data } };
  }

  async refuse(text: string): Promise<void> {
    if (this.data.private) {
      await this.editOriginal({ content: text, embeds: [], components: [] });
      return;
    }
    // A public "thinking…" cannot become ephemeral: it goes, and the sentence comes privately.
    await this.rest.delete(this.webhook('@original'), { auth: false }).catch(() => undefined);
    await this.rest.post(Routes.webhook(this.data.applicationId, this.data.interactionToken), {
      body: { content: text, flags: MessageFlags.Ephemeral },
      auth: false,
    });
  }

  async show(screen: Screen): Promise<void> {
    const message = renderScreen(screen);
    if (this.place.kind === 'interaction' && Date.now() >= this.data.tokenExpiresAt - this.opts.tuning.tokenMarginMs) {
      this.opts.logger.info('interaction token about to expire; continuing in a message');
      this.leaveInteraction();
      // Pointed first, while the token surely works: posting the message may take long enough
      // (a large preview, a slow gateway) for the token to die, which would leave a stale reply.
      await this.pointOriginal(this.data.private ? MOVED_TO_DM : MOVED_TO_CHANNEL);
    }
    if (this.place.kind === 'interaction') {
      try {
        await this.editOriginal(message);
        return;
      } catch (e) {
        if (!isDeadToken(e)) throw e;
        this.opts.logger.warn({ err: e }, 'interaction token no longer works; continuing in a message');
        this.leaveInteraction();
      }
    }
    await this.showOutside(message);
  }

  private tokenAlive(): boolean {
    return Date.now() < this.data.tokenExpiresAt;
  }

  private webhook(messageId: string): `/${string}` {
    return Routes.webhookMessage(this.data.applicationId, this.data.interactionToken, messageId);
  }

  private leaveInteraction(): void {
    this.place = { kind: this.data.private ? 'dm' : 'channel' };
  }

  private async editOriginal(message: Message): Promise<void> {
    await this.rest.patch(this.webhook('@original'), { ...payload(message), auth: false });
  }

  private async showOutside(message: Message): Promise<void> {
    for (;;) {
      const place = this.place;
      if (place.kind === 'lost' || place.kind === 'interaction') {
        throw new Error(`the job's message cannot be shown anywhere (${place.kind})`);
      }
      try {
        await this.postOrEdit(place, message);
        break;
      } catch (e) {
        if (!isForbidden(e)) throw e;
        if (place.kind === 'channel') {
          this.opts.logger.warn({ err: e }, 'may not post in the channel; continuing in a direct message');
          this.place = { kind: 'dm' };
          await this.pointOriginal(CHANNEL_FORBIDDEN);
          continue;
        }
        this.place = { kind: 'lost' };
        this.opts.logger.error({ err: e }, 'no way left to reach the user: channel and direct messages refused');
        throw e;
      }
    }
  }

  /** Tells the user, in the reply they started from, where the job went (while the token works). */
  private async pointOriginal(pointer: string): Promise<void> {
    if (!this.tokenAlive()) return;
    await this.editOriginal({ content: pointer, embeds: [], components: [], files: [] }).catch((err: unknown) =>
      this.opts.logger.warn({ err }, 'could not point the original reply to the new message'),
    );
  }

  private async postOrEdit(place: { kind: 'channel' | 'dm'; channelId?: string; messageId?: string }, message: Message): Promise<void> {
    const userId = this.data.userId;
    if (!place.channelId) {
      if (place.kind === 'dm') {
        const dm = (await this.rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as { id: string };
        place.channelId = dm.id;
      } else {
        place.channelId = this.data.channelId;
        if (!place.channelId) throw new Error('the interaction has no channel to continue in');
      }
    }
    // In a channel the message is no longer a reply to the user, so mention them.
    const content = place.kind === 'channel' ? `<@${userId}> ${message.content}` : message.content;
    const { body, files } = payload({ ...message, content });
    const request = { body: { ...body, allowed_mentions: { users: [userId] } }, files };
    if (place.messageId) {
      await this.rest.patch(Routes.channelMessage(place.channelId, place.messageId), request);
    } else {
      const posted = (await this.rest.post(Routes.channelMessages(place.channelId), request)) as { id: string };
      place.messageId = posted.id;
    }
  }
}

/** A message as REST wants it: undefined files keep the shown ones, [] removes them, a list replaces them. */
function payload(message: Message) {
  const body = {
    content: message.content,
    embeds: message.embeds ?? [],
    components: message.components ?? [],
    ...(message.files ? { attachments: message.files.map((f, i) => ({ id: i, filename: f.name })) } : {}),
  };
  const files = message.files?.map((f) => ({ name: f.name, data: Buffer.from(f.data), contentType: f.contentType }));
  return { body, files };
}
