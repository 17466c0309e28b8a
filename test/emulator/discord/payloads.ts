/**
 * Builders for the JSON shapes Discord sends and returns (API v10), trimmed to what discord.js
 * reads but otherwise as documented, so the bot parses exactly what it would parse in production.
 */

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** Snowflakes carry their creation time; discord.js derives `createdTimestamp` from them. */
export function snowflake(at = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

export const PERMISSIONS = {
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  UseApplicationCommands: 1n << 31n,
};

export interface EmuUser {
  id: string;
  username: string;
  /** Members with Manage Messages count as moderators. */
  moderator?: boolean;
}

export function userPayload(u: EmuUser | { id: string; username: string; bot?: boolean }) {
  return {
    id: u.id,
    username: u.username,
    global_name: u.username,
    discriminator: '0',
    avatar: null,
    bot: 'bot' in u ? u.bot : undefined,
  };
}

export function memberPayload(u: EmuUser) {
  const perms =
    PERMISSIONS.ViewChannel | PERMISSIONS.SendMessages | PERMISSIONS.UseApplicationCommands | (u.moderator ? PERMISSIONS.ManageMessages : 0n);
  return {
    user: userPayload(u),
    nick: null,
    avatar: null,
    roles: [],
    joined_at: new Date(0).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    permissions: perms.toString(),
  };
}

export function channelPayload(id: string, guildId: string) {
  return { id, type: 0, guild_id: guildId, name: 'art', position: 0, permission_overwrites: [], nsfw: false, parent_id: null, topic: null };
}

export function guildPayload(id: string, channelId: string, botUser: { id: string; username: string }) {
  return {
    id,
    name: 'Emulated Guild',
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: botUser.id,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      { id, name: '@everyone', color: 0, colors: { primary_color: 0 }, hoist: false, icon: null, position: 0, permissions: '0', managed: false, mentionable: false, flags: 0 },
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    joined_at: new Date().toISOString(),
    large: false,
    unavailable: false,
    member_count: 3,
    voice_states: [],
    members: [],
    channels: [channelPayload(channelId, id)],
    threads: [],
    presences: [],
    max_members: 500000,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    stage_instances: [],
    guild_scheduled_events: [],
    premium_progress_bar_enabled: false,
  };
}

export interface EmuAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number;
  height?: number;
}

export interface EmuMessageAttachment {
  id: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface EmuMessage {
  id: string;
  channelId: string;
  kind: 'original' | 'followup' | 'channel' | 'dm';
  interactionToken?: string;
  authorId: string;
  content: string;
  embeds: Record<string, unknown>[];
  components: Record<string, unknown>[];
  attachments: EmuMessageAttachment[];
  flags: number;
  /** Set while the original reply only says "thinking" (a deferred response). */
  deferred?: boolean;
  /** Every state it had, oldest first (content, how many files, when). */
  history: { content: string; attachments: string[]; at: number }[];
}

export function messagePayload(m: EmuMessage, base: string, author: { id: string; username: string }) {
  return {
    id: m.id,
    channel_id: m.channelId,
    author: userPayload({ ...author, bot: true }),
    content: m.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: m.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      size: a.bytes.length,
      content_type: a.contentType,
      url: `${base}/message-files/${m.id}/${a.id}/${encodeURIComponent(a.filename)}`,
      proxy_url: `${base}/message-files/${m.id}/${a.id}/${encodeURIComponent(a.filename)}`,
    })),
    embeds: m.embeds,
    components: m.components,
    pinned: false,
    type: m.kind === 'original' || m.kind === 'followup' ? 20 : 0,
    flags: m.flags,
    webhook_id: m.kind === 'original' || m.kind === 'followup' ? author.id : undefined,
    application_id: author.id,
  };
}

export type OptionValue = string | number | boolean | EmuAttachment;

export const OPTION_TYPES = { STRING: 3, INTEGER: 4, BOOLEAN: 5, NUMBER: 10, ATTACHMENT: 11 } as const;
