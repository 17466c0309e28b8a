import type { Blob } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { IMAGES_DIR } from '../../support/fixtures.js';

/**
 * A loopback stand-in for Slack's Web API and file hosting: real HTTP on 127.0.0.1, the methods
 * the app uses, tokens checked the way Slack checks them, every call recorded for assertions.
 * Point the app at it with SLACK_API_URL = `fake.apiUrl`. It also plays Socket Mode:
 * apps.connections.open hands out a loopback WebSocket URL, and `sendEnvelope` delivers commands
 * and interactions over it.
 */

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The token the call carried (Authorization header or `token` field); undefined = none. */
  token?: string;
  at: number;
}

/** A file as Slack describes it in `view_submission` state and `files.info`. */
export interface SlackFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  url_private: string;
  url_private_download: string;
}

export interface FileFetch {
  fileId: string;
  /** The Authorization header was the bot token. */
  authorized: boolean;
  status: number;
  at: number;
}

export interface ExternalUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes?: Buffer;
  completed?: { channelId?: string; threadTs?: string; initialComment?: string; title?: string };
}

/** A POST to a command's `response_url` (what Bolt's `respond()` sends). */
export interface ResponseUrlPost {
  path: string;
  body: Record<string, unknown>;
  at: number;
}

/** What the app answered to one Socket Mode envelope (the `payload` of its ack). */
export type EnvelopeAck = Record<string, unknown>;

export interface PostedMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  /** Every text the message has shown, oldest first (postMessage, then each chat.update). */
  history: { text: string; blocks: unknown[]; at: number }[];
}

const JSON_FIELDS = new Set(['blocks', 'view', 'files', 'attachments', 'metadata']);

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly fileFetches: FileFetch[] = [];
  readonly uploads = new Map<string, ExternalUpload>();
  readonly messages = new Map<string, PostedMessage>();
  readonly responses: ResponseUrlPost[] = [];
  /** Messages the app deleted (chat.delete), as they were last shown. */
  readonly deleted: PostedMessage[] = [];
  /** Users users.info reports as workspace admins. */
  readonly admins = new Set<string>();
  /** Socket Mode connections the app holds open now. */
  readonly sockets = new Set<WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly pendingAcks = new Map<string, (ack: EnvelopeAck) => void>();
  private readonly hosted = new Map<string, { file: SlackFile; bytes: Buffer }>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  private tsCounter = 1_700_000_000_000_100;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly botToken: string,
    readonly teamId: string,
    readonly botUserId: string,
    readonly appToken: string,
  ) {}

  static async start(opts: { botToken?: string; appToken?: string; teamId?: string } = {}): Promise<FakeSlack> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSlack(
      server,
      `http://127.0.0.1:${port}/`,
      opts.botToken ?? 'xoxb-fake-0000-bot-token',
      opts.teamId ?? 'T0FAKE',
      'U0BOT',
      opts.appToken ?? 'xapp-1-A0FAKE-0000-app-token',
    );
    server.on('request', (req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    server.on('upgrade', (req, socket, head) => fake.upgrade(req, socket, head));
    return fake;
  }

  /** Socket Mode: the URL apps.connections.open hands out accepts one WebSocket per call. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!req.url?.startsWith('/socket-link/')) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => {
        this.sockets.delete(ws);
        this.notify();
      });
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: EnvelopeAck };
        const resolve = msg.envelope_id ? this.pendingAcks.get(msg.envelope_id) : undefined;
        if (msg.envelope_id) this.pendingAcks.delete(msg.envelope_id);
        resolve?.(msg.payload ?? {});
      });
      // Slack opens every session with a hello; the client counts as connected only after it.
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0FAKE' } }));
      this.notify();
    });
  }

  /**
   * Delivers an envelope to the app over its Socket Mode connection, the way Slack delivers slash
   * commands (`slash_commands`) and interactions (`interactive`), and resolves with its ack.
   */
  async sendEnvelope(type: string, payload: Record<string, unknown>, timeoutMs = 5000): Promise<EnvelopeAck> {
    const ws = await this.waitUntil(() => [...this.sockets][0], 'a Socket Mode connection');
    const envelopeId = `env-${++this.seq}`;
    return new Promise<EnvelopeAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelopeId);
        reject(new Error(`no ack for the ${type} envelope within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingAcks.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      ws.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: true }));
    });
  }

  /** Base URL of the Web API, with the trailing slash the WebClient expects. */
  get apiUrl(): string {
    return `${this.url}api/`;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Where a slash command's `response_url` points: POSTs to it are recorded in `responses`. */
  responseUrl(id: string): string {
    return `${this.url}respond/${id}`;
  }

  /** Hosts bytes as a private Slack file (downloadable only with the bot token). */
  hostFile(name: string, bytes: Uint8Array, mimetype: string): SlackFile {
    const id = `F${String(++this.seq).padStart(8, '0')}`;
    const ext = path.extname(name).slice(1).toLowerCase();
    const file: SlackFile = {
      id,
      name,
      title: name,
      mimetype,
      filetype: ext === 'jpg' ? 'jpg' : ext,
      size: bytes.byteLength,
      url_private: `${this.url}files-pri/${this.teamId}-${id}/${encodeURIComponent(name)}`,
      url_private_download: `${this.url}files-pri/${this.teamId}-${id}/download/${encodeURIComponent(name)}`,
    };
    this.hosted.set(id, { file, bytes: Buffer.from(bytes) });
    return file;
  }

  /** Hosts one of the shared test images (`IMAGES_DIR`), with the mimetype its name claims. */
  hostImage(name: string): SlackFile {
    const bytes = readFileSync(path.join(IMAGES_DIR, name));
    return this.hostFile(name, bytes, /\.png$/i.test(name) ? 'image/png' : 'image/jpeg');
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves with the first call (past or future) to `method` matching `match`. */
  async waitForCall(
    method: string,
    match: (c: SlackCall) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<SlackCall> {
    return this.waitUntil(
      () => this.calls.find((c) => c.method === method && match(c)),
      `a ${method} call`,
      timeoutMs,
    );
  }

  /** Polls `probe` after every recorded request until it returns something, or times out. */
  async waitUntil<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    const found = probe();
    if (found) return found;
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${what}. Calls so far: ${this.calls.map((c) => c.method).join(', ')}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private nextTs(): string {
    const n = String(++this.tsCounter);
    return `${n.slice(0, 10)}.${n.slice(10)}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    try {
      if (url.pathname.startsWith('/api/') && req.method === 'POST') {
        this.api(url.pathname.slice('/api/'.length), req, body, res);
      } else if (url.pathname.startsWith('/files-pri/') && req.method === 'GET') {
        this.serveFile(url.pathname, req, res);
      } else if (url.pathname.startsWith('/respond/') && req.method === 'POST') {
        this.responses.push({ path: url.pathname, body: parseArgs(req.headers['content-type'], body), at: Date.now() });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      } else if (url.pathname.startsWith('/upload/') && req.method === 'POST') {
        await this.receiveUpload(url.pathname.slice('/upload/'.length), req.headers['content-type'], body, res);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    } finally {
      this.notify();
    }
  }

  private serveFile(pathname: string, req: IncomingMessage, res: ServerResponse): void {
    const match = /^\/files-pri\/[^-/]+-(F\d+)\//.exec(pathname);
    const hosted = match?.[1] ? this.hosted.get(match[1]) : undefined;
    const authorized = req.headers.authorization === `Bearer ${this.botToken}`;
    const status = !hosted ? 404 : authorized ? 200 : 401;
    this.fileFetches.push({ fileId: match?.[1] ?? '?', authorized, status, at: Date.now() });
    if (status !== 200 || !hosted) {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 401 ? 'not_authed' : 'file_not_found');
      return;
    }
    res.writeHead(200, { 'content-type': hosted.file.mimetype, 'content-length': hosted.bytes.byteLength });
    res.end(hosted.bytes);
  }

  /** The upload URL takes the raw bytes, or (as the Node SDK sends them) one file in a multipart form. */
  private async receiveUpload(fileId: string, contentType: string | undefined, body: Buffer, res: ServerResponse): Promise<void> {
    const upload = this.uploads.get(fileId);
    if (!upload) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('unknown upload');
      return;
    }
    let bytes = body;
    if (contentType?.startsWith('multipart/form-data')) {
      const form = await new Request(this.url, { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
      const file = [...form.values()].find((v) => typeof v !== 'string') as unknown as Blob | undefined;
      if (!file) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('no file in the form');
        return;
      }
      bytes = Buffer.from(await file.arrayBuffer());
    }
    upload.bytes = bytes;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${bytes.byteLength}`);
  }

  private api(method: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const args = parseArgs(req.headers['content-type'], raw);
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ')
      ? header.slice('Bearer '.length)
      : typeof args.token === 'string'
        ? args.token
        : undefined;
    delete args.token;
    this.calls.push({ method, args, token, at: Date.now() });
    const reply = (payload: Record<string, unknown>): void => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    };
    if (token === undefined) return reply({ ok: false, error: 'not_authed' });
    // Socket Mode's method takes the app-level token, and only it; every other method the bot token.
    if (method === 'apps.connections.open') {
      // A token of another kind is the wrong type; an app token Slack does not know is invalid.
      if (token !== this.appToken) return reply({ ok: false, error: token.startsWith('xapp-') ? 'invalid_auth' : 'not_allowed_token_type' });
      return reply({ ok: true, url: `${this.url.replace(/^http/, 'ws')}socket-link/${++this.seq}` });
    }
    if (token !== this.botToken) return reply({ ok: false, error: 'invalid_auth' });
    const str = (k: string): string | undefined =>
      typeof args[k] === 'string' ? (args[k] as string) : undefined;

    switch (method) {
      case 'auth.test':
        return reply({
          ok: true,
          url: this.url,
          team: 'Fake Team',
          user: 'stylize',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: 'B0BOT',
        });
      case 'views.open': {
        if (!str('trigger_id')) return reply({ ok: false, error: 'invalid_arguments' });
        // Trigger ids live three seconds; tests name one `expired-...` to play a late views.open.
        if (str('trigger_id')?.startsWith('expired')) return reply({ ok: false, error: 'expired_trigger_id' });
        const view = args.view as Record<string, unknown> | undefined;
        if (!view || view.type !== 'modal') return reply({ ok: false, error: 'invalid_arguments' });
        return reply({ ok: true, view: { id: `V${++this.seq}`, team_id: this.teamId, ...view } });
      }
      case 'chat.postMessage': {
        const channel = str('channel');
        if (!channel) return reply({ ok: false, error: 'channel_not_found' });
        const ts = this.nextTs();
        const text = str('text') ?? '';
        const blocks = (args.blocks as unknown[] | undefined) ?? [];
        this.messages.set(ts, { channel, ts, text, blocks, history: [{ text, blocks, at: Date.now() }] });
        return reply({
          ok: true,
          channel,
          ts,
          message: { type: 'message', text, blocks, bot_id: 'B0BOT', ts },
        });
      }
      case 'chat.update': {
        const message = this.messages.get(str('ts') ?? '');
        if (!message || message.channel !== str('channel'))
          return reply({ ok: false, error: 'message_not_found' });
        message.text = str('text') ?? message.text;
        message.blocks = (args.blocks as unknown[] | undefined) ?? message.blocks;
        message.history.push({ text: message.text, blocks: message.blocks, at: Date.now() });
        return reply({ ok: true, channel: message.channel, ts: message.ts, text: message.text });
      }
      case 'chat.delete': {
        const message = this.messages.get(str('ts') ?? '');
        if (!message || message.channel !== str('channel'))
          return reply({ ok: false, error: 'message_not_found' });
        this.messages.delete(message.ts);
        this.deleted.push(message);
        return reply({ ok: true, channel: message.channel, ts: message.ts });
      }
      case 'users.info': {
        const user = str('user');
        if (!user) return reply({ ok: false, error: 'user_not_found' });
        return reply({ ok: true, user: { id: user, team_id: this.teamId, name: user.toLowerCase(), is_admin: this.admins.has(user), is_owner: false } });
      }
      case 'chat.postEphemeral':
        if (!str('channel') || !str('user')) return reply({ ok: false, error: 'invalid_arguments' });
        return reply({ ok: true, message_ts: this.nextTs() });
      case 'files.info': {
        const hosted = this.hosted.get(str('file') ?? '');
        return hosted
          ? reply({ ok: true, file: hosted.file })
          : reply({ ok: false, error: 'file_not_found' });
      }
      case 'files.getUploadURLExternal': {
        const filename = str('filename');
        const length = Number(args.length);
        if (!filename || !Number.isInteger(length) || length <= 0)
          return reply({ ok: false, error: 'invalid_arguments' });
        const fileId = `F${String(++this.seq).padStart(8, '0')}`;
        this.uploads.set(fileId, { fileId, filename, length });
        return reply({ ok: true, upload_url: `${this.url}upload/${fileId}`, file_id: fileId });
      }
      case 'files.completeUploadExternal': {
        const files = args.files as { id: string; title?: string }[] | undefined;
        if (!Array.isArray(files) || files.length === 0)
          return reply({ ok: false, error: 'invalid_arguments' });
        const done = [];
        for (const f of files) {
          const upload = this.uploads.get(f.id);
          // Slack refuses to complete a file whose bytes never arrived, or arrived short.
          if (!upload?.bytes || upload.bytes.byteLength !== upload.length)
            return reply({ ok: false, error: 'file_not_found' });
          upload.completed = {
            channelId: str('channel_id'),
            threadTs: str('thread_ts'),
            initialComment: str('initial_comment'),
            title: f.title,
          };
          done.push({
            id: f.id,
            title: f.title ?? upload.filename,
            name: upload.filename,
            size: upload.length,
          });
        }
        return reply({ ok: true, files: done });
      }
      default:
        return reply({ ok: false, error: 'unknown_method' });
    }
  }

  /** The bytes of every upload that was completed into `channel`, oldest first. */
  completedUploads(channel?: string): ExternalUpload[] {
    return [...this.uploads.values()].filter(
      (u) => u.completed && (channel === undefined || u.completed.channelId === channel),
    );
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The WebClient sends form-encoded arguments with nested values as JSON strings (or plain JSON). */
function parseArgs(contentType: string | undefined, raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (contentType?.includes('application/json'))
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    args[k] = JSON_FIELDS.has(k) && /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return args;
}
