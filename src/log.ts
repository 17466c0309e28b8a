import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactUrlsIn } from './util/redact.js';

export type { Logger };

/** Paths pino blanks wherever they appear, so a token cannot reach the log by accident. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'DISCORD_TOKEN',
  '*.DISCORD_TOKEN',
  'SLACK_BOT_TOKEN',
  '*.SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  '*.SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  '*.SLACK_APP_TOKEN',
];

const SECRET_PATTERNS: RegExp[] = [
  // Discord bot tokens: three dot-separated base64url parts.
  /[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}/g,
  // Slack tokens.
  /xox[abposr]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  // Interaction/webhook tokens inside URLs.
  /(\/webhooks\/\d+\/)[A-Za-z0-9_.-]{20,}/g,
];

/** Removes anything shaped like a secret from free text (error messages, URLs). */
export function scrub(text: string, secrets: readonly string[] = []): string {
  // URLs first: a signed URL's query or userinfo is a secret the patterns below do not know.
  let out = redactUrlsIn(text);
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (_m, prefix?: string) => (typeof prefix === 'string' ? `${prefix}[redacted]` : '[redacted]'));
  }
  return out;
}

export function createLogger(
  options: { level?: string; secrets?: readonly string[] } = {},
  destination?: DestinationStream,
): Logger {
  const secrets = options.secrets ?? [];
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      // Messages and error texts are free text: scrub them as well as the structured fields.
      logMethod(args, method) {
        const cleaned = args.map((a: unknown) => (typeof a === 'string' ? scrub(a, secrets) : scrubDeep(a, secrets)));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(config, destination) : pino(config);
}

function scrubDeep(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') {
    return typeof value === 'string' ? scrub(value, secrets) : value;
  }
  if (value instanceof Error) {
    const copy = new Error(scrub(value.message, secrets));
    copy.name = value.name;
    copy.stack = value.stack ? scrub(value.stack, secrets) : undefined;
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, secrets, depth + 1));
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, secrets, depth + 1);
  return out;
}
