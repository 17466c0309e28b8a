/**
 * A loopback Discord: REST (the routes the bot uses), a gateway (HELLO, IDENTIFY → READY and
 * GUILD_CREATE, heartbeats, INTERACTION_CREATE) and a CDN, on real sockets on 127.0.0.1. It keeps
 * Discord's rules that matter to a bot (3 s to acknowledge, acknowledge once, 15-minute interaction
 * tokens, "Invalid Webhook Token", missing permissions) and records every request for assertions.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  OPTION_TYPES,
  channelPayload,
  guildPayload,
  memberPayload,
  messagePayload,
  snowflake,
  userPayload,
  type EmuAttachment,
  type EmuMessage,
  type EmuMessageAttachment,
  type EmuUser,
  type OptionValue,
} from './payloads.js';

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface RecordedRequest {
  method: string;
  /** Path below `/api/v10` for REST, or the full path for the CDN. */
  path: string;
  route: string;
  query: Record<string, string>;
  /** JSON body, or `payload_json` of a multipart body. */
  body?: unknown;
  files: RecordedFile[];
  status: number;
  at: number;
  /** Set for requests that belong to an interaction (callback, webhook edits, follow-ups). */
  interactionToken?: string;
}

export interface EmuInteraction {
  id: string;
  token: string;
  /** 2 command (slash or context menu), 3 component, 4 autocomplete, 5 modal submit. */
  type: 2 | 3 | 4 | 5;
  user: EmuUser;
  channelId: string;
  guildId: string;
  createdAt: number;
  /** Callback type and when it arrived. */
  callback?: { type: number; at: number };
  /** For components: the message clicked; for commands: the reply once there is one. */
  messageId?: string;
  ephemeral?: boolean;
  /** Largest file the bot may upload through this interaction's webhook (Discord's `attachment_size_limit`). */
  attachmentSizeLimit: number;
  /** An autocomplete's answer (callback type 8). */
  choices?: { name: string; value: string | number }[];
  /** The form the bot opened in answer (callback type 9). */
  modal?: { custom_id: string; title: string; components: Record<string, unknown>[] };
}

export interface CommandInvocation {
  name: string;
  user?: EmuUser;
  options?: Record<string, OptionValue | undefined>;
  /** Discord sends the upload limit of the place the command was used in; default 10 MiB. */
  attachmentSizeLimit?: number;
  /** The subcommand (`/style save` → 'save'); `options` are then its options. */
  subcommand?: string;
  /** Another server than the emulator's own (a second guild of the same bot). */
  guildId?: string;
}

export interface UploadOptions {
  /** Size stated in the payload; default the real size (a lie tests the bot's own counting). */
  declaredSize?: number;
  /** Serve without Content-Length, so only counting while reading catches an oversize file. */
  chunked?: boolean;
  contentType?: string;
  /** A host for the URL other than the emulator's (the CDN still serves it when it resolves here). */
  host?: string;
}

export interface DiscordEmulatorOptions {
  imagesDir?: string;
  /** Interaction tokens stop working after this long. Discord: 15 minutes. */
  tokenLifetimeMs?: number;
  /** An interaction must be acknowledged within this long. Discord: 3 s. */
  ackDeadlineMs?: number;
  token?: string;
  /** HELLO's heartbeat interval. Discord: 41.25 s; tests shorten it to see heartbeats and ACKs. */
  heartbeatIntervalMs?: number;
}

/** Discord's upload limit of a server without boosts (channel messages, and interactions by default). */
export const DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;

const API_PREFIX = '/api/v10';

export const USERS = {
  alice: { id: '400000000000000001', username: 'alice' },
  bob: { id: '400000000000000002', username: 'bob' },
  mod: { id: '400000000000000003', username: 'mod', moderator: true },
} satisfies Record<string, EmuUser>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const INVALID_WEBHOOK_TOKEN = () => new HttpError(401, { code: 50027, message: 'Invalid Webhook Token' });
const MISSING_PERMISSIONS = () => new HttpError(403, { code: 50013, message: 'Missing Permissions' });
const UNKNOWN_MESSAGE = () => new HttpError(404, { code: 10008, message: 'Unknown Message' });
const ENTITY_TOO_LARGE = () => new HttpError(413, { code: 40005, message: 'Request entity too large' });

/** What Discord does with a file above the upload limit: the whole request is refused. */
function checkUploadSize(files: RecordedFile[], limit: number): void {
  if (files.some((f) => f.bytes.length > limit)) throw ENTITY_TOO_LARGE();
}

export class DiscordEmulator extends EventEmitter {
  readonly applicationId = '100000000000000001';
  readonly guildId = '200000000000000001';
  readonly channelId = '300000000000000001';
  readonly botUser = { id: this.applicationId, username: 'Stylize' };
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  readonly interactions = new Map<string, EmuInteraction>();
  readonly messages = new Map<string, EmuMessage>();
  /** Registered commands, by scope ('global' or a guild id). */
  readonly commands = new Map<string, Record<string, unknown>[]>();
  /** Answer webhook edits/follow-ups with "Invalid Webhook Token" (401, code 50027). */
  failWebhookEdits = false;
  /** Answer channel messages with "Missing Permissions" (403, code 50013). */
  denyChannelMessages = false;
  denyDirectMessages = false;
  /**
   * Answers a REST request (after it was recorded, before it is routed) with an error of the test's
   * choosing, e.g. `{ status: 500, body: {...} }`; undefined lets it through.
   */
  fault: ((r: RecordedRequest) => { status: number; body: unknown } | undefined) | undefined;
  /**
   * Holds a REST request (after it was recorded, before it is routed) until the promise it returns
   * settles, e.g. to send a signal while the bot waits on that request; undefined lets it through.
   */
  hold: ((r: RecordedRequest) => Promise<void> | undefined) | undefined;
  tokenLifetimeMs: number;
  ackDeadlineMs: number;
  readonly heartbeatIntervalMs: number;
  /** Gateway frames received (IDENTIFY, heartbeats). */
  readonly gatewayFrames: { op: number; d: unknown }[] = [];

  private server!: http.Server;
  private wss!: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly uploads = new Map<string, { bytes: Uint8Array; contentType: string; chunked: boolean }>();
  private readonly dmChannels = new Map<string, string>();
  private seq = 0;
  private readyResolve!: () => void;
  /** Resolves when a client has identified and received READY. */
  readonly ready: Promise<void> = new Promise((r) => (this.readyResolve = r));
  private readonly imagesDir: string | undefined;

  constructor(opts: DiscordEmulatorOptions = {}) {
    super();
    this.setMaxListeners(100);
    this.imagesDir = opts.imagesDir;
    this.tokenLifetimeMs = opts.tokenLifetimeMs ?? 15 * 60_000;
    this.ackDeadlineMs = opts.ackDeadlineMs ?? 3000;
    this.token = opts.token ?? 'emulated.bot.token';
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 41_250;
  }

  port = 0;
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get apiUrl(): string {
    return `${this.base}/api`;
  }
  /** What DISCORD_CDN_HOSTS must list for attachments from this emulator. */
  get cdnHost(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/gateway')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGatewayConnection(ws));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- test-facing API

  /** Puts bytes on the CDN and returns the attachment object Discord would resolve. */
  upload(filename: string, bytes: Uint8Array, opts: UploadOptions = {}): EmuAttachment {
    const id = snowflake();
    const contentType = opts.contentType ?? guessType(filename);
    this.uploads.set(id, { bytes, contentType, chunked: opts.chunked ?? false });
    const url = `http://${opts.host ?? this.cdnHost}/attachments/${this.channelId}/${id}/${encodeURIComponent(filename)}?ex=${Date.now().toString(16)}&hm=${randomBytes(8).toString('hex')}`;
    return { id, filename, size: opts.declaredSize ?? bytes.length, url, proxy_url: url, content_type: contentType };
  }

  /** Uploads a file from the shared images directory. */
  async uploadImage(name: string, opts: UploadOptions = {}): Promise<EmuAttachment> {
    if (!this.imagesDir) throw new Error('no imagesDir given to the emulator');
    return this.upload(name, new Uint8Array(await readFile(path.join(this.imagesDir, name))), opts);
  }

  /** A user runs a slash command; the bot gets INTERACTION_CREATE. */
  runCommand(inv: CommandInvocation, type: 2 | 4 = 2, focused?: string): EmuInteraction {
    const user = inv.user ?? USERS.alice;
    const id = snowflake();
    const token = `emu-${randomBytes(24).toString('base64url')}`;
    const registered = [...this.commands.values()].flat().find((c) => c.name === inv.name);
    const top = (registered?.options as { name: string; type: number; options?: { name: string; type: number }[] }[] | undefined) ?? [];
    const defs = inv.subcommand ? (top.find((o) => o.name === inv.subcommand)?.options ?? []) : top;
    const options: { name: string; type: number; value: string | number | boolean; focused?: boolean }[] = [];
    const attachments: Record<string, EmuAttachment> = {};
    for (const [name, value] of Object.entries(inv.options ?? {})) {
      if (value === undefined) continue;
      if (typeof value === 'object') {
        attachments[value.id] = value;
        options.push({ name, type: OPTION_TYPES.ATTACHMENT, value: value.id });
      } else {
        const declared = defs.find((d) => d.name === name)?.type;
        const type =
          declared ??
          (typeof value === 'boolean'
            ? OPTION_TYPES.BOOLEAN
            : typeof value === 'string'
              ? OPTION_TYPES.STRING
              : Number.isInteger(value)
                ? OPTION_TYPES.INTEGER
                : OPTION_TYPES.NUMBER);
        options.push({ name, type, value, ...(name === focused ? { focused: true } : {}) });
      }
    }
    const interaction: EmuInteraction = {
      id,
      token,
      type,
      user,
      channelId: this.channelId,
      guildId: inv.guildId ?? this.guildId,
      createdAt: Date.now(),
      attachmentSizeLimit: inv.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
    };
    this.interactions.set(token, interaction);
    this.dispatch('INTERACTION_CREATE', {
      ...this.interactionBase(interaction),
      data: {
        id: (registered?.id as string | undefined) ?? snowflake(),
        name: inv.name,
        type: 1,
        options: inv.subcommand ? [{ name: inv.subcommand, type: 1, options }] : options,
        resolved: Object.keys(attachments).length > 0 ? { attachments } : undefined,
      },
    });
    return interaction;
  }

  /** A user clicks a button on a message the bot posted. */
  clickButton(message: EmuMessage, customId: string, user: EmuUser = USERS.alice): EmuInteraction {
    const id = snowflake();
    const token = `emu-${randomBytes(24).toString('base64url')}`;
    const interaction: EmuInteraction = {
      id,
      token,
      type: 3,
      user,
      channelId: message.channelId,
      guildId: this.guildId,
      createdAt: Date.now(),
      messageId: message.id,
      attachmentSizeLimit: DEFAULT_ATTACHMENT_SIZE_LIMIT,
    };
    this.interactions.set(token, interaction);
    this.dispatch('INTERACTION_CREATE', {
      ...this.interactionBase(interaction),
      message: messagePayload(message, this.base, this.botUser),
      data: { custom_id: customId, component_type: 2 },
    });
    return interaction;
  }

  /** A user types in an option that offers autocomplete; the bot answers with choices (type 8). */
  autocomplete(inv: CommandInvocation & { focused: string }): EmuInteraction {
    return this.runCommand(inv, 4, inv.focused);
  }

  /** A member posts a message (with files) in the channel, as a picture to right-click later. */
  postMessage(user: EmuUser, files: { filename: string; bytes: Uint8Array; contentType?: string }[], content = ''): EmuMessage {
    const message = this.newMessage('channel', this.channelId, { flags: 0, authorId: user.id, content });
    message.attachments = files.map((f) => ({ id: snowflake(), filename: f.filename, contentType: f.contentType ?? guessType(f.filename), bytes: f.bytes }));
    this.emit('change');
    return message;
  }

  /** A user right-clicks a message → Apps → `name` (a message context menu command). */
  runMessageCommand(name: string, target: EmuMessage, user: EmuUser = USERS.alice, guildId = this.guildId): EmuInteraction {
    const interaction = this.newInteraction(2, user, guildId);
    const registered = [...this.commands.values()].flat().find((c) => c.name === name);
    const author = Object.values(USERS).find((u) => u.id === target.authorId) ?? this.botUser;
    const payload = { ...messagePayload(target, this.base, author), author: userPayload(author) };
    this.dispatch('INTERACTION_CREATE', {
      ...this.interactionBase(interaction),
      data: { id: (registered?.id as string | undefined) ?? snowflake(), name, type: 3, target_id: target.id, resolved: { messages: { [target.id]: payload } } },
    });
    return interaction;
  }

  /** The user fills in the form the bot opened for `from` and submits it. */
  submitModal(from: EmuInteraction, values: Record<string, string>): EmuInteraction {
    if (!from.modal) throw new Error('the bot opened no form for that interaction');
    const interaction = this.newInteraction(5, from.user, from.guildId);
    this.dispatch('INTERACTION_CREATE', {
      ...this.interactionBase(interaction),
      data: {
        custom_id: from.modal.custom_id,
        components: Object.entries(values).map(([customId, value]) => ({ type: 1, components: [{ type: 4, custom_id: customId, value }] })),
      },
    });
    return interaction;
  }

  private newInteraction(type: EmuInteraction['type'], user: EmuUser, guildId: string): EmuInteraction {
    const interaction: EmuInteraction = {
      id: snowflake(),
      token: `emu-${randomBytes(24).toString('base64url')}`,
      type,
      user,
      channelId: this.channelId,
      guildId,
      createdAt: Date.now(),
      attachmentSizeLimit: DEFAULT_ATTACHMENT_SIZE_LIMIT,
    };
    this.interactions.set(interaction.token, interaction);
    return interaction;
  }

  /** The reply of a command interaction (the deferred message and its edits). */
  original(interaction: EmuInteraction): EmuMessage | undefined {
    return interaction.messageId ? this.messages.get(interaction.messageId) : undefined;
  }

  followUps(interaction: EmuInteraction): EmuMessage[] {
    return [...this.messages.values()].filter((m) => m.kind === 'followup' && m.interactionToken === interaction.token);
  }

  channelMessages(channelId = this.channelId): EmuMessage[] {
    return [...this.messages.values()].filter((m) => (m.kind === 'channel' || m.kind === 'dm') && m.channelId === channelId);
  }

  directMessages(userId: string): EmuMessage[] {
    const channel = this.dmChannels.get(userId);
    return channel ? this.channelMessages(channel) : [];
  }

  requestsOf(interaction: EmuInteraction): RecordedRequest[] {
    return this.requests.filter((r) => r.interactionToken === interaction.token);
  }

  /** Custom ids of every button on a message. */
  buttons(message: EmuMessage): { customId: string; label: string }[] {
    return message.components.flatMap((row) =>
      ((row.components as Record<string, unknown>[] | undefined) ?? []).map((c) => ({
        customId: String(c.custom_id),
        label: String(c.label ?? ''),
      })),
    );
  }

  /** Resolves with the predicate's first truthy value, re-checked after every request. */
  waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const tryNow = () => {
        let value: T | undefined | false | null;
        try {
          value = check();
        } catch (e) {
          cleanup();
          reject(e as Error);
          return;
        }
        if (value) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('change', tryNow);
      };
      this.on('change', tryNow);
      tryNow();
    });
  }

  // ---------------------------------------------------------------- gateway

  private onGatewayConnection(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null }));
    ws.on('message', (raw) => {
      let frame: { op: number; d: unknown };
      try {
        frame = JSON.parse(String(raw)) as { op: number; d: unknown };
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      this.gatewayFrames.push(frame);
      if (frame.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      else if (frame.op === 2) this.identify(ws, frame.d as { token?: string; intents?: number });
      this.emit('change');
    });
  }

  private identify(ws: WebSocket, d: { token?: string; intents?: number }): void {
    if (d.token !== this.token) {
      ws.close(4004, 'Authentication failed.');
      return;
    }
    const send = (t: string, data: unknown) => ws.send(JSON.stringify({ op: 0, t, s: ++this.seq, d: data }));
    send('READY', {
      v: 10,
      user: { ...userPayload({ ...this.botUser, bot: true }), verified: true, mfa_enabled: false, flags: 0 },
      guilds: [{ id: this.guildId, unavailable: true }],
      session_id: randomBytes(16).toString('hex'),
      resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
      shard: [0, 1],
      application: { id: this.applicationId, flags: 0 },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      user_settings: {},
      geo_ordered_rtc_regions: [],
    });
    send('GUILD_CREATE', guildPayload(this.guildId, this.channelId, this.botUser));
    this.readyResolve();
  }

  private dispatch(t: string, d: unknown): void {
    const frame = JSON.stringify({ op: 0, t, s: ++this.seq, d });
    for (const ws of this.sockets) ws.send(frame);
  }

  private interactionBase(i: EmuInteraction) {
    return {
      id: i.id,
      application_id: this.applicationId,
      type: i.type,
      token: i.token,
      version: 1,
      guild_id: i.guildId,
      guild: { id: i.guildId, locale: 'en-US', features: [] },
      channel_id: i.channelId,
      channel: channelPayload(i.channelId, i.guildId),
      member: memberPayload(i.user),
      app_permissions: ((1n << 10n) | (1n << 11n) | (1n << 14n) | (1n << 15n)).toString(),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': i.guildId },
      context: 0,
      attachment_size_limit: i.attachmentSizeLimit,
    };
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname,
      route: 'unknown',
      query: Object.fromEntries(url.searchParams),
      files: [],
      status: 0,
      at: Date.now(),
    };
    let status = 200;
    let body: unknown;
    let bytes: { data: Uint8Array; type: string; chunked: boolean } | undefined;
    try {
      await parseBody(req.headers['content-type'], raw, record);
      if (url.pathname.startsWith('/attachments/') || url.pathname.startsWith('/message-files/')) {
        record.route = 'cdn';
        bytes = this.serveFile(url.pathname);
      } else if (url.pathname.startsWith(API_PREFIX)) {
        if (!this.authorised(record.path, req.headers.authorization)) throw new HttpError(401, { code: 0, message: '401: Unauthorized' });
        record.interactionToken = /^\/(?:webhooks|interactions)\/\d+\/([^/]+)/.exec(record.path)?.[1];
        await this.hold?.(record);
        const fault = this.fault?.(record);
        if (fault) throw new HttpError(fault.status, fault.body);
        ({ status, body } = this.route(record));
      } else {
        throw new HttpError(404, { code: 0, message: '404: Not Found' });
      }
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      status = e.status;
      body = e.body;
    }
    record.status = status;
    this.requests.push(record);
    if (bytes) {
      const headers: http.OutgoingHttpHeaders = { 'content-type': bytes.type };
      if (!bytes.chunked) headers['content-length'] = bytes.data.length;
      res.writeHead(200, headers);
      if (bytes.chunked) {
        // Several writes without a length, like a server that streams.
        for (let at = 0; at < bytes.data.length; at += 64 * 1024) res.write(bytes.data.subarray(at, at + 64 * 1024));
      } else {
        res.write(bytes.data);
      }
      res.end();
    } else if (status === 204 || body === undefined) {
      res.writeHead(status === 200 ? 204 : status).end();
    } else {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }
    this.emit('change');
  }

  private authorised(p: string, authorization: string | undefined): boolean {
    // Interaction callbacks and webhook routes are authorised by the token in the path.
    if (p.startsWith('/interactions/') || p.startsWith('/webhooks/')) return true;
    return authorization === `Bot ${this.token}`;
  }

  private serveFile(pathname: string): { data: Uint8Array; type: string; chunked: boolean } {
    const parts = pathname.split('/');
    if (parts[1] === 'attachments') {
      const file = this.uploads.get(parts[3] ?? '');
      if (!file) throw new HttpError(404, { message: 'not found' });
      return { data: file.bytes, type: file.contentType, chunked: file.chunked };
    }
    const message = this.messages.get(parts[2] ?? '');
    const att = message?.attachments.find((a) => a.id === parts[3]);
    if (!att) throw new HttpError(404, { message: 'not found' });
    return { data: att.bytes, type: att.contentType, chunked: false };
  }

  private route(r: RecordedRequest): { status: number; body?: unknown } {
    const m = (re: RegExp) => re.exec(r.path);
    let match: RegExpExecArray | null;
    if (r.method === 'GET' && r.path === '/gateway/bot') {
      r.route = 'gateway-bot';
      return {
        status: 200,
        body: {
          url: `ws://127.0.0.1:${this.port}/gateway`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
        },
      };
    }
    if (r.method === 'GET' && r.path === '/users/@me') {
      r.route = 'me';
      return { status: 200, body: userPayload({ ...this.botUser, bot: true }) };
    }
    if ((match = m(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      const scope = match[2] ?? 'global';
      if (match[1] !== this.applicationId) throw new HttpError(403, { code: 50001, message: 'Missing Access' });
      if (r.method === 'PUT') {
        r.route = 'put-commands';
        const list = (r.body as Record<string, unknown>[]).map((c) => ({
          ...c,
          id: snowflake(),
          application_id: this.applicationId,
          guild_id: match![2],
          version: snowflake(),
        }));
        this.commands.set(scope, list);
        return { status: 200, body: list };
      }
      if (r.method === 'GET') {
        r.route = 'get-commands';
        return { status: 200, body: this.commands.get(scope) ?? [] };
      }
    }
    if ((match = m(/^\/interactions\/(\d+)\/([^/]+)\/callback$/)) && r.method === 'POST') {
      r.route = 'callback';
      return this.callback(match[1]!, match[2]!, r);
    }
    if ((match = m(/^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/))) {
      const token = match[2]!;
      r.interactionToken = token;
      return this.webhook(token, match[3] === undefined ? undefined : decodeURIComponent(match[3]), r);
    }
    if ((match = m(/^\/channels\/(\d+)\/messages(?:\/(\d+))?$/))) {
      return this.channelMessage(match[1]!, match[2], r);
    }
    if (r.path === '/users/@me/channels' && r.method === 'POST') {
      r.route = 'dm-channel';
      if (this.denyDirectMessages) throw new HttpError(403, { code: 50007, message: 'Cannot send messages to this user' });
      const recipient = String((r.body as { recipient_id?: string }).recipient_id);
      const id = this.dmChannels.get(recipient) ?? snowflake();
      this.dmChannels.set(recipient, id);
      const user = Object.values(USERS).find((u) => u.id === recipient) ?? { id: recipient, username: 'user' };
      return { status: 200, body: { id, type: 1, last_message_id: null, recipients: [userPayload(user)], flags: 0 } };
    }
    throw new HttpError(404, { code: 0, message: `404: Not Found (${r.method} ${r.path})` });
  }

  private callback(interactionId: string, token: string, r: RecordedRequest): { status: number; body?: unknown } {
    r.interactionToken = token;
    const i = this.interactions.get(token);
    if (!i || i.id !== interactionId) throw new HttpError(404, { code: 10062, message: 'Unknown interaction' });
    checkUploadSize(r.files, i.attachmentSizeLimit);
    if (Date.now() - i.createdAt > this.ackDeadlineMs) throw new HttpError(404, { code: 10062, message: 'Unknown interaction' });
    if (i.callback) throw new HttpError(400, { code: 40060, message: 'Interaction has already been acknowledged.' });
    const payload = r.body as { type: number; data?: Record<string, unknown> };
    i.callback = { type: payload.type, at: Date.now() };
    const data = payload.data ?? {};
    const flags = Number(data.flags ?? 0);
    let message: EmuMessage | undefined;
    if (payload.type === 4 || payload.type === 5) {
      // A new reply: type 5 shows "thinking…" until the first edit.
      message = this.newMessage('original', i.channelId, { interactionToken: token, flags, deferred: payload.type === 5 });
      if (payload.type === 4) this.applyEdit(message, data, r.files);
      i.messageId = message.id;
      i.ephemeral = (flags & 64) !== 0;
    } else if (payload.type === 7 && i.messageId) {
      message = this.messages.get(i.messageId);
      if (message) this.applyEdit(message, data, r.files);
    } else if (payload.type === 8) {
      i.choices = (data.choices as EmuInteraction['choices']) ?? [];
    } else if (payload.type === 9) {
      i.modal = data as EmuInteraction['modal'];
    } else if (payload.type !== 6) {
      throw new HttpError(400, { code: 50035, message: `Invalid Form Body (callback type ${payload.type})` });
    }
    if (r.query.with_response === 'true') {
      return {
        status: 200,
        body: {
          interaction: { id: i.id, type: i.type, activity_instance_id: null, response_message_id: message?.id, response_message_loading: payload.type === 5, response_message_ephemeral: (flags & 64) !== 0 },
          resource: message ? { type: payload.type, message: messagePayload(message, this.base, this.botUser) } : { type: payload.type },
        },
      };
    }
    return { status: 204 };
  }

  private webhook(token: string, messageRef: string | undefined, r: RecordedRequest): { status: number; body?: unknown } {
    const i = this.interactions.get(token);
    if (!i) throw INVALID_WEBHOOK_TOKEN();
    if (this.failWebhookEdits || Date.now() - i.createdAt > this.tokenLifetimeMs) throw INVALID_WEBHOOK_TOKEN();
    checkUploadSize(r.files, i.attachmentSizeLimit);
    if (messageRef === undefined) {
      if (r.method !== 'POST') throw new HttpError(405, { code: 0, message: '405: Method Not Allowed' });
      r.route = 'followup';
      const data = r.body as Record<string, unknown>;
      const message = this.newMessage('followup', i.channelId, { interactionToken: token, flags: Number(data.flags ?? 0) });
      this.applyEdit(message, data, r.files);
      return { status: 200, body: messagePayload(message, this.base, this.botUser) };
    }
    const id = messageRef === '@original' ? i.messageId : messageRef;
    const message = id ? this.messages.get(id) : undefined;
    if (!message) throw UNKNOWN_MESSAGE();
    if (r.method === 'GET') {
      r.route = 'get-original';
      return { status: 200, body: messagePayload(message, this.base, this.botUser) };
    }
    if (r.method === 'DELETE') {
      r.route = 'delete-original';
      this.messages.delete(message.id);
      return { status: 204 };
    }
    if (r.method === 'PATCH') {
      r.route = messageRef === '@original' ? 'edit-original' : 'edit-followup';
      this.applyEdit(message, r.body as Record<string, unknown>, r.files);
      return { status: 200, body: messagePayload(message, this.base, this.botUser) };
    }
    throw new HttpError(405, { code: 0, message: '405: Method Not Allowed' });
  }

  private channelMessage(channelId: string, messageId: string | undefined, r: RecordedRequest): { status: number; body?: unknown } {
    const isDm = [...this.dmChannels.values()].includes(channelId);
    if (channelId !== this.channelId && !isDm) throw new HttpError(404, { code: 10003, message: 'Unknown Channel' });
    checkUploadSize(r.files, DEFAULT_ATTACHMENT_SIZE_LIMIT);
    if (messageId === undefined && r.method === 'POST') {
      r.route = isDm ? 'dm-message' : 'channel-message';
      if (!isDm && this.denyChannelMessages) throw MISSING_PERMISSIONS();
      if (isDm && this.denyDirectMessages) throw new HttpError(403, { code: 50007, message: 'Cannot send messages to this user' });
      const message = this.newMessage(isDm ? 'dm' : 'channel', channelId, { flags: 0 });
      this.applyEdit(message, r.body as Record<string, unknown>, r.files);
      return { status: 200, body: messagePayload(message, this.base, this.botUser) };
    }
    const message = messageId ? this.messages.get(messageId) : undefined;
    if (!message || message.channelId !== channelId) throw UNKNOWN_MESSAGE();
    if (r.method === 'PATCH') {
      r.route = isDm ? 'edit-dm-message' : 'edit-channel-message';
      if (!isDm && this.denyChannelMessages) throw MISSING_PERMISSIONS();
      this.applyEdit(message, r.body as Record<string, unknown>, r.files);
      return { status: 200, body: messagePayload(message, this.base, this.botUser) };
    }
    if (r.method === 'GET') {
      r.route = 'get-channel-message';
      return { status: 200, body: messagePayload(message, this.base, this.botUser) };
    }
    throw new HttpError(405, { code: 0, message: '405: Method Not Allowed' });
  }

  private newMessage(kind: EmuMessage['kind'], channelId: string, extra: Partial<EmuMessage>): EmuMessage {
    const message: EmuMessage = {
      id: snowflake(),
      channelId,
      kind,
      authorId: this.applicationId,
      content: '',
      embeds: [],
      components: [],
      attachments: [],
      flags: 0,
      history: [],
      ...extra,
    };
    this.messages.set(message.id, message);
    return message;
  }

  /** Discord's edit semantics: given fields replace, `attachments` lists what stays (by id) plus new files. */
  private applyEdit(message: EmuMessage, data: Record<string, unknown>, files: RecordedFile[]): void {
    if (typeof data.content === 'string') message.content = data.content;
    if (Array.isArray(data.embeds)) message.embeds = data.embeds as Record<string, unknown>[];
    if (Array.isArray(data.components)) message.components = data.components as Record<string, unknown>[];
    const uploaded = files.map((f, index) => ({ index, file: f }));
    const fresh = (f: RecordedFile, filename?: string): EmuMessageAttachment => ({
      id: snowflake(),
      filename: filename ?? f.filename,
      contentType: f.contentType,
      bytes: f.bytes,
    });
    if (Array.isArray(data.attachments)) {
      const next: EmuMessageAttachment[] = [];
      for (const a of data.attachments as { id: string | number; filename?: string }[]) {
        const existing = message.attachments.find((x) => x.id === String(a.id));
        if (existing) next.push(existing);
        else {
          const file = uploaded.find((u) => String(u.index) === String(a.id) || u.file.field === `files[${String(a.id)}]`);
          if (file) next.push(fresh(file.file, a.filename));
        }
      }
      message.attachments = next;
    } else if (files.length > 0) {
      message.attachments = [...message.attachments, ...files.map((f) => fresh(f))];
    }
    message.deferred = false;
    message.history.push({ content: message.content, attachments: message.attachments.map((a) => a.filename), at: Date.now() });
  }
}

async function parseBody(contentType: string | undefined, raw: Buffer, record: RecordedRequest): Promise<void> {
  if (raw.length === 0) return;
  if (contentType?.startsWith('application/json')) {
    record.body = JSON.parse(raw.toString('utf8'));
    return;
  }
  if (contentType?.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') record.body = JSON.parse(value);
      } else {
        record.files.push({
          field,
          filename: value.name,
          contentType: value.type || 'application/octet-stream',
          bytes: new Uint8Array(await value.arrayBuffer()),
        });
      }
    }
  }
}

function guessType(filename: string): string {
  const ext = path.extname(filename).toLowerCase();
  return ext === '.png' ? 'image/png' : ext === '.jpg' || ext === '.jpeg' ? 'image/jpeg' : ext === '.txt' ? 'text/plain' : 'application/octet-stream';
}

export async function startDiscordEmulator(opts: DiscordEmulatorOptions = {}): Promise<DiscordEmulator> {
  return new DiscordEmulator(opts).start();
}
