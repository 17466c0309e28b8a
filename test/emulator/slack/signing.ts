import { createHmac } from 'node:crypto';

/**
 * Requests as Slack sends them to an app: signed with the app's signing secret (v0 scheme,
 * HMAC-SHA256 over `v0:<timestamp>:<raw body>`), form-encoded.
 */

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedPostOptions {
  /** Unix seconds; defaults to now. Slack apps refuse timestamps older than five minutes. */
  timestamp?: number;
  /** Replace the computed signature (to test that forged requests are refused). */
  signature?: string;
}

export interface SignedResponse {
  status: number;
  text: string;
  /** The body parsed as JSON when it is JSON; undefined otherwise (an empty ack). */
  json?: Record<string, unknown>;
}

export async function postSigned(
  url: string,
  body: string,
  secret: string,
  opts: SignedPostOptions = {},
): Promise<SignedResponse> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': opts.signature ?? slackSignature(secret, timestamp, body),
    },
    body,
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

export interface SlashCommandFields {
  command?: string;
  text?: string;
  userId: string;
  channelId: string;
  teamId: string;
  triggerId: string;
  responseUrl?: string;
}

/** The fields Slack sends for a slash command (form-encoded over HTTP, an object in Socket Mode). */
export function slashCommandFields(fields: SlashCommandFields): Record<string, string> {
  return {
    token: 'deprecated-verification-token',
    team_id: fields.teamId,
    team_domain: 'fake',
    channel_id: fields.channelId,
    channel_name: 'general',
    user_id: fields.userId,
    user_name: fields.userId.toLowerCase(),
    command: fields.command ?? '/stylize',
    text: fields.text ?? '',
    api_app_id: 'A0FAKE',
    response_url: fields.responseUrl ?? 'http://127.0.0.1:9/unused',
    trigger_id: fields.triggerId,
  };
}

/** Form body of a slash command invocation. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams(slashCommandFields(fields)).toString();
}

/** Form body of an interactive payload (view submission, block action): `payload=<json>`. */
export function interactiveBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
