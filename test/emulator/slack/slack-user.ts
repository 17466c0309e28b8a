import type { FakeSlack, PostedMessage, SlackFile } from './fake-slack.js';
import { interactiveBody, postSigned, slashCommandFields, type SignedResponse } from './signing.js';

/** What the user puts in one modal field: text for number inputs, a choice, a tick, or files. */
export type FieldValue = string | boolean | SlackFile | SlackFile[];

interface ModalBlock {
  type: string;
  block_id?: string;
  optional?: boolean;
  element?: { type: string; action_id: string; options?: { text: unknown; value: string }[] };
}

export interface OpenedView {
  id: string;
  callback_id?: string;
  private_metadata?: string;
  blocks: ModalBlock[];
  [key: string]: unknown;
}

let triggerSeq = 0;

/** How requests reach the app: signed HTTP POSTs (HTTP mode) or envelopes over its WebSocket. */
export type AppTransport = { eventsUrl: string; signingSecret: string } | { socketMode: true };

/**
 * One Slack user driving the app the way the Slack client would: slash command, modal submission
 * and button clicks arrive as correctly signed HTTP requests at the app's endpoint, or, in Socket
 * Mode, as envelopes over the app's connection.
 */
export class SlackUser {
  constructor(
    private readonly fake: FakeSlack,
    private readonly app: AppTransport,
    readonly userId: string,
    readonly channelId = 'C0GENERAL',
  ) {}

  /** Sends form fields (a slash command) or an interactive payload, and returns the app's answer. */
  private async deliver(
    kind: 'slash_commands' | 'interactive',
    body: Record<string, unknown>,
  ): Promise<SignedResponse> {
    if ('socketMode' in this.app) {
      const ack = await this.fake.sendEnvelope(kind, body);
      const empty = Object.keys(ack).length === 0;
      return { status: 200, text: empty ? '' : JSON.stringify(ack), json: empty ? undefined : ack };
    }
    const form =
      kind === 'slash_commands'
        ? new URLSearchParams(body as Record<string, string>).toString()
        : interactiveBody(body);
    return postSigned(this.app.eventsUrl, form, this.app.signingSecret);
  }

  /** Runs a slash command; its response_url points at the fake (see `fake.responses`). */
  async slashCommand(text = '', triggerId = `trigger-${++triggerSeq}`): Promise<SignedResponse> {
    const fields = slashCommandFields({
      text,
      userId: this.userId,
      channelId: this.channelId,
      teamId: this.fake.teamId,
      triggerId,
      responseUrl: this.fake.responseUrl(triggerId),
    });
    return this.deliver('slash_commands', fields);
  }

  /** Runs `/stylize` and returns the modal the app opened for this trigger. */
  async openModal(): Promise<OpenedView> {
    const triggerId = `trigger-${++triggerSeq}`;
    const res = await this.slashCommand('', triggerId);
    if (res.status !== 200) throw new Error(`slash command answered ${res.status}: ${res.text}`);
    const call = await this.fake.waitForCall('views.open', (c) => c.args.trigger_id === triggerId);
    return call.args.view as OpenedView;
  }

  /** Submits `view` with the given field values, keyed by the elements' action_id. */
  async submit(view: OpenedView, values: Record<string, FieldValue>): Promise<SignedResponse> {
    const state: Record<string, Record<string, unknown>> = {};
    const unknown = new Set(Object.keys(values));
    for (const block of view.blocks) {
      if (block.type !== 'input' || !block.element || !block.block_id) continue;
      const { type, action_id: actionId, options = [] } = block.element;
      const value = values[actionId];
      unknown.delete(actionId);
      state[block.block_id] = { [actionId]: elementState(type, value, options) };
    }
    if (unknown.size > 0) throw new Error(`the modal has no field(s) ${[...unknown].join(', ')}`);
    const payload = {
      type: 'view_submission',
      team: { id: this.fake.teamId, domain: 'fake' },
      ...this.actor(),
      trigger_id: `trigger-${++triggerSeq}`,
      view: {
        ...view,
        team_id: this.fake.teamId,
        type: 'modal',
        state: { values: state },
        hash: 'h',
        app_id: 'A0FAKE',
        bot_id: 'B0BOT',
      },
      response_urls: [],
      is_enterprise_install: false,
    };
    return this.deliver('interactive', payload);
  }

  /** Runs another slash command of the app (e.g. `/style`). */
  async command(command: string, text = ''): Promise<SignedResponse> {
    const triggerId = `trigger-${++triggerSeq}`;
    return this.deliver(
      'slash_commands',
      slashCommandFields({ command, text, userId: this.userId, channelId: this.channelId, teamId: this.fake.teamId, triggerId, responseUrl: this.fake.responseUrl(triggerId) }),
    );
  }

  /**
   * Uses a message shortcut (the message's ⋯ menu) on a message someone posted with `files`;
   * resolves with the modal the app opened, or undefined when it opened none within `waitMs`.
   */
  async messageShortcut(callbackId: string, message: { files: SlackFile[]; text?: string; user?: string }, waitMs = 3000): Promise<OpenedView | undefined> {
    const triggerId = `trigger-${++triggerSeq}`;
    const ts = `${Math.floor(Date.now() / 1000)}.${String(triggerSeq).padStart(6, '0')}`;
    await this.deliver('interactive', {
      type: 'message_action',
      callback_id: callbackId,
      trigger_id: triggerId,
      message_ts: ts,
      response_url: 'http://127.0.0.1:9/unused',
      team: { id: this.fake.teamId, domain: 'fake' },
      channel: { id: this.channelId, name: 'general' },
      message: { type: 'message', user: message.user ?? 'U0SOMEONE', ts, text: message.text ?? '', files: message.files },
      ...this.actor(),
      is_enterprise_install: false,
    });
    const call = await this.fake.waitForCall('views.open', (c) => c.args.trigger_id === triggerId, waitMs).catch(() => undefined);
    return call?.args.view as OpenedView | undefined;
  }

  /** Who is acting, as every interactive payload names them. */
  private actor() {
    return {
      user: {
        id: this.userId,
        username: this.userId.toLowerCase(),
        name: this.userId.toLowerCase(),
        team_id: this.fake.teamId,
      },
      api_app_id: 'A0FAKE',
      token: 'deprecated-verification-token',
    };
  }

  /** Clicks the button with `actionId` on a message the app posted. */
  async click(message: PostedMessage, actionId: string): Promise<SignedResponse> {
    const button = findButton(message.blocks, actionId);
    if (!button) throw new Error(`message ${message.ts} has no button ${actionId}`);
    const payload = {
      type: 'block_actions',
      ...this.actor(),
      container: {
        type: 'message',
        message_ts: message.ts,
        channel_id: message.channel,
        is_ephemeral: false,
      },
      trigger_id: `trigger-${++triggerSeq}`,
      team: { id: this.fake.teamId, domain: 'fake' },
      channel: { id: message.channel, name: 'general' },
      message: {
        type: 'message',
        ts: message.ts,
        text: message.text,
        blocks: message.blocks,
        bot_id: 'B0BOT',
      },
      response_url: 'http://127.0.0.1:9/unused',
      actions: [{ ...button, action_ts: String(Date.now() / 1000) }],
      is_enterprise_install: false,
    };
    return this.deliver('interactive', payload);
  }
}

function elementState(
  type: string,
  value: FieldValue | undefined,
  options: { text: unknown; value: string }[],
): Record<string, unknown> {
  switch (type) {
    case 'file_input': {
      const files = value === undefined ? [] : Array.isArray(value) ? value : [value as SlackFile];
      return { type, files };
    }
    case 'number_input':
    case 'plain_text_input':
      return { type, value: value === undefined ? null : String(value) };
    case 'checkboxes': {
      const selected = value === true ? options.slice(0, 1) : options.filter((o) => o.value === value);
      return { type, selected_options: selected };
    }
    case 'static_select':
    case 'radio_buttons': {
      const option = options.find((o) => o.value === value) ?? null;
      return { type, selected_option: option };
    }
    default:
      throw new Error(`the fake Slack client cannot fill a ${type}`);
  }
}

interface Button {
  type: string;
  action_id: string;
  block_id: string;
  value?: string;
  text?: unknown;
}

function findButton(blocks: unknown[], actionId: string): Button | undefined {
  for (const block of blocks as { type: string; block_id?: string; elements?: Button[] }[]) {
    if (block.type !== 'actions') continue;
    const el = block.elements?.find((e) => e.action_id === actionId);
    if (el) return { ...el, block_id: block.block_id ?? 'actions' };
  }
  return undefined;
}
