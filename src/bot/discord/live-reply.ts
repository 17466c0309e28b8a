/**
 * The one message a job lives in. It starts as the interaction's reply; interaction tokens die
 * after 15 minutes, so shortly before that (or when Discord already answers "Invalid Webhook Token")
 * the job continues in a channel message sent with the bot token — a direct message for private
 * jobs, or when the bot may not post in the channel. Whatever happens, the user is told where to look.
 */
import {
  Routes,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type RepliableInteraction,
} from 'discord.js';
import type { Logger } from '../../log.js';
import { isDeadToken, isForbidden } from './api-errors.js';
import type { DiscordTuning } from './context.js';

export interface ViewFile {
  name: string;
  data: Uint8Array;
  contentType: string;
}

export interface View {
  content: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  /** undefined keeps the files the message shows; [] removes them; a list replaces them. */
  files?: ViewFile[];
}

type Place =
  | { kind: 'interaction' }
  | { kind: 'channel' | 'dm'; channelId?: string; messageId?: string }
  | { kind: 'lost' };

export const MOVED_TO_CHANNEL =
  'This is taking longer than Discord lets me update this reply, so it continues in a new message below.';
export const MOVED_TO_DM = 'This is taking longer than Discord lets me update this reply, so it continues in your direct messages with me.';
export const CHANNEL_FORBIDDEN =
  'This is taking longer than Discord lets me update this reply, and I am not allowed to post in this channel, so I will send the result to you in a direct message. If it does not arrive, allow direct messages from members of this server (Privacy Settings), or ask a moderator to let me send messages here and run /stylize again.';

export class LiveReply {
  private place: Place = { kind: 'interaction' };
  private readonly tokenDiesAt: number;
  /** Set when the original reply should point to where the job went, once it got there. */
  private pointerPending: string | undefined;

  constructor(
    private readonly interaction: RepliableInteraction,
    private readonly opts: { private: boolean; tuning: DiscordTuning; logger: Logger },
  ) {
    // The token's clock starts when Discord created the interaction; use whichever is earlier.
    this.tokenDiesAt = Math.min(interaction.createdTimestamp, Date.now()) + opts.tuning.tokenLifetimeMs;
  }

  /** Where the job is shown now: 'interaction', 'channel', 'dm' or 'lost'. */
  get where(): Place['kind'] {
    return this.place.kind;
  }

  private tokenAlive(): boolean {
    return Date.now() < this.tokenDiesAt;
  }

  async show(view: View): Promise<void> {
    if (this.place.kind === 'interaction' && Date.now() >= this.tokenDiesAt - this.opts.tuning.tokenMarginMs) {
      this.opts.logger.info('interaction token about to expire; continuing in a message');
      this.leaveInteraction(true);
    }
    if (this.place.kind === 'interaction') {
      try {
        await this.editReply(view);
        return;
      } catch (e) {
        if (!isDeadToken(e)) throw e;
        this.opts.logger.warn({ err: e }, 'interaction token no longer works; continuing in a message');
        this.leaveInteraction(false);
      }
    }
    await this.showOutside(view);
  }

  private leaveInteraction(tokenAlive: boolean): void {
    const kind = this.opts.private ? 'dm' : 'channel';
    this.place = { kind };
    this.pointerPending = tokenAlive ? (kind === 'dm' ? MOVED_TO_DM : MOVED_TO_CHANNEL) : undefined;
  }

  private async editReply(view: View): Promise<void> {
    await this.interaction.editReply({
      content: view.content,
      embeds: view.embeds ?? [],
      components: view.components ?? [],
      ...(view.files
        ? { files: view.files.map((f) => ({ attachment: Buffer.from(f.data), name: f.name })), attachments: [] }
        : {}),
    });
  }

  private async showOutside(view: View): Promise<void> {
    for (;;) {
      const place = this.place;
      if (place.kind === 'lost' || place.kind === 'interaction') {
        throw new Error(`the job's message cannot be shown anywhere (${place.kind})`);
      }
      try {
        await this.postOrEdit(place, view);
        break;
      } catch (e) {
        if (!isForbidden(e)) throw e;
        if (place.kind === 'channel') {
          this.opts.logger.warn({ err: e }, 'may not post in the channel; continuing in a direct message');
          this.place = { kind: 'dm' };
          if (this.tokenAlive()) {
            this.pointerPending = undefined;
            await this.editReply({ content: CHANNEL_FORBIDDEN, files: [] }).catch((err: unknown) =>
              this.opts.logger.warn({ err }, 'could not explain the move to direct messages'),
            );
          }
          continue;
        }
        this.place = { kind: 'lost' };
        this.opts.logger.error({ err: e }, 'no way left to reach the user: channel and direct messages refused');
        throw e;
      }
    }
    if (this.pointerPending !== undefined && this.tokenAlive()) {
      const pointer = this.pointerPending;
      this.pointerPending = undefined;
      await this.editReply({ content: pointer, files: [] }).catch((err: unknown) =>
        this.opts.logger.warn({ err }, 'could not point the original reply to the new message'),
      );
    }
  }

  private async postOrEdit(place: { kind: 'channel' | 'dm'; channelId?: string; messageId?: string }, view: View): Promise<void> {
    const rest = this.interaction.client.rest;
    const userId = this.interaction.user.id;
    if (!place.channelId) {
      if (place.kind === 'dm') {
        const dm = (await rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as { id: string };
        place.channelId = dm.id;
      } else {
        place.channelId = this.interaction.channelId ?? undefined;
        if (!place.channelId) throw new Error('the interaction has no channel to continue in');
      }
    }
    const body = {
      // In a channel the message is no longer a reply to the user, so mention them.
      content: place.kind === 'channel' ? `<@${userId}> ${view.content}` : view.content,
      embeds: view.embeds ?? [],
      components: view.components ?? [],
      allowed_mentions: { users: [userId] },
      ...(view.files ? { attachments: view.files.map((f, i) => ({ id: i, filename: f.name })) } : {}),
    };
    const files = view.files?.map((f) => ({ name: f.name, data: Buffer.from(f.data), contentType: f.contentType }));
    if (place.messageId) {
      await rest.patch(Routes.channelMessage(place.channelId, place.messageId), { body, files });
    } else {
      const message = (await rest.post(Routes.channelMessages(place.channelId), { body, files })) as { id: string };
      place.messageId = message.id;
    }
  }
}
