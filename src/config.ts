import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { BACKEND_CHOICES, DEFAULT_LIMITS, DEFAULT_MAX_SIZE } from './engine/index.js';
import { scrub } from './log.js';
import { redactUrl } from './util/redact.js';

/** A configuration value that stops start-up; `message` is one line a person can act on. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Where downloaded weights are kept when WEIGHTS_CACHE_DIR is unset or empty. */
export const DEFAULT_WEIGHTS_CACHE_DIR = '.cache/weights';

/** Never printed; the logger masks their values. */
const SECRET_VARIABLES = ['DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

/** An empty value (`HTTP_PORT=` in .env) is an unset one: the default applies, never 0. */
const blankIsUnset = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/**
 * The one rule for every whole-number setting: decimal digits only (`0x10`, `1e3`, `12.0` are
 * refused, not read as 16, 1000 or 12), within [min, max]; empty or unset means the default.
 */
export function intSetting(min: number, max: number) {
  const rule = `a whole number from ${min} to ${max}`;
  const digits = z
    .string({ error: rule })
    .trim()
    .regex(/^\d+$/, rule)
    .transform(Number)
    .pipe(z.number().int().min(min, rule).max(max, rule));
  return Object.assign(digits, { min, max });
}
const int = (min: number, max: number, dflt: number) => z.preprocess(blankIsUnset, intSetting(min, max).default(dflt));
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const hostList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, 'host names separated by commas')).min(1));

/**
 * Every variable the process reads, with its default. `.env.example` documents the same list;
 * a test checks that the two agree.
 */
export const envSchema = z.object({
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: z
    .string()
    .regex(/^\d{17,20}$/, 'a numeric snowflake id')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DISCORD_DEV_GUILD_ID: z
    .string()
    .regex(/^\d{17,20}$/, 'a numeric snowflake id')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DISCORD_API_URL: z.preprocess(blankIsUnset, z.url().default('https://discord.com/api')),
  DISCORD_CDN_HOSTS: z.preprocess(blankIsUnset, hostList.default(['cdn.discordapp.com', 'media.discordapp.net'])),
  // The prefixes tell the kinds apart: Socket Mode given a bot token would retry for ever.
  SLACK_BOT_TOKEN: optionalString.pipe(z.string().startsWith('xoxb-', 'a bot token, starting xoxb-').optional()),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString.pipe(z.string().startsWith('xapp-', 'an app-level token, starting xapp-').optional()),
  SLACK_API_URL: z.preprocess(blankIsUnset, z.url().default('https://slack.com/api/')),
  SLACK_PORT: int(0, 65535, 3000),
  VGG19_WEIGHTS: optionalString,
  WEIGHTS_CACHE_DIR: z.preprocess(blankIsUnset, z.string().trim().default(DEFAULT_WEIGHTS_CACHE_DIR)),
  FAST_STYLE_MODELS: optionalString,
  STYLIZE_BACKEND: z.preprocess(blankIsUnset, z.enum(BACKEND_CHOICES).default('auto')),
  // Read by the onnx runtime itself (engine/onnx/size-policy.ts); checked here so a typo stops start-up.
  STYLIZE_ONNX_CONV: z.preprocess(blankIsUnset, z.enum(['direct', 'winograd']).optional()),
  // Passed on to the onnx session process with its own malloc settings added (engine/onnx/malloc-tunables.ts).
  GLIBC_TUNABLES: optionalString,
  WASM_THREADS: int(0, 256, 0),
  MAX_IMAGE_SIZE: int(64, 4096, DEFAULT_MAX_SIZE),
  MAX_INPUT_BYTES: int(1024, 200 * 1024 * 1024, DEFAULT_LIMITS.maxBytes),
  MAX_INPUT_PIXELS: int(1024, 1_000_000_000, DEFAULT_LIMITS.maxPixels),
  QUEUE_CONCURRENCY: int(1, 64, 1),
  QUEUE_MAX_LENGTH: int(1, 10_000, 20),
  QUEUE_MAX_PER_USER: int(1, 1000, 1),
  QUEUE_MAX_PER_GUILD: int(1, 10_000, 3),
  JOB_TIME_LIMIT_S: int(1, 24 * 3600, 600),
  PAINT_NICENESS: int(0, 19, 10),
  SHUTDOWN_GRACE_S: int(0, 3600, 60),
  REROLL_KEEP_MIN: int(0, 7 * 24 * 60, 60),
  // The style library (src/commands/style-library): an LMDB file here, or Redis when REDIS_URL is set.
  STYLE_LIBRARY_DIR: z.preprocess(blankIsUnset, z.string().trim().default('.cache/styles')),
  STYLE_LIBRARY_MAX: int(1, 10_000, 100),
  LOG_LEVEL: z.preprocess(blankIsUnset, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  HTTP_PORT: int(0, 65535, 8080),
  HTTP_ENABLED: z.preprocess(blankIsUnset, bool.default(true)),
  // Distributed queue (src/queue/redis): set REDIS_URL to share jobs between processes and machines.
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_PREFIX: z.preprocess(blankIsUnset, z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -').default('stylize')),
  CHAT_INSTANCE_ID: optionalString,
  LOCAL_WORKER: z.preprocess(blankIsUnset, bool.default(true)),
  WORKER_CONCURRENCY: int(1, 64, 1),
  WORKER_STALL_S: int(2, 600, 30),
  DISCORD_SHARDS: z.preprocess(blankIsUnset, z.union([z.enum(['off', 'auto']), intSetting(1, 10_000)]).default('off')),
});

export type Env = z.infer<typeof envSchema>;

const FIXES: Partial<Record<keyof Env, string>> = {
  DISCORD_TOKEN: 'copy the bot token from the Discord developer portal (Bot > Reset Token)',
  DISCORD_APPLICATION_ID: 'copy the Application ID from the Discord developer portal (General Information)',
  DISCORD_DEV_GUILD_ID: 'right-click your server in Discord (developer mode on) > Copy Server ID, or leave it empty',
  REDIS_URL: 'use redis://[user:password@]host:port[/db] (rediss:// for TLS), or leave it empty to keep the queue in this process',
  VGG19_WEIGHTS: 'point it at a model.json, a directory holding one, an http(s) URL or a Keras .h5 file',
  SLACK_BOT_TOKEN: 'copy the Bot User OAuth Token (xoxb-…) from your Slack app (OAuth & Permissions)',
  SLACK_APP_TOKEN: 'copy an app-level token (xapp-…) with connections:write from your Slack app (Basic Information), or leave it empty for HTTP mode',
};

/**
 * A credential the platform refused at start-up: one line, like any configuration error, and the
 * same for every platform. `reason` is the platform's own word for it (scrubbed of secrets).
 */
export function refusedCredential(name: keyof Env, platform: string, reason: string): ConfigError {
  return new ConfigError(`Configuration error: ${platform} refused ${name} (${scrub(reason)}); fix: ${FIXES[name] ?? 'see .env.example'}.`);
}

function describe(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? 'configuration');
  // A URL is shown without its credentials (REDIS_URL=redis://user:password@host).
  const raw = env[name] === undefined ? undefined : redactUrl(env[name]);
  // A token pasted into the wrong variable must not be printed either: anything the log would
  // redact (a set secret's value, or a token's shape) is hidden, and the whole line is scrubbed.
  const secrets = SECRET_VARIABLES.map((n) => env[n]).filter((v): v is string => v !== undefined && v !== '');
  const secret = raw !== undefined && ((SECRET_VARIABLES as readonly string[]).includes(name) || scrub(raw, secrets) !== raw);
  const shown = raw === undefined ? 'unset' : secret ? '(hidden: it looks like a secret)' : JSON.stringify(raw);
  const fix = FIXES[name as keyof Env] ?? 'see .env.example for the allowed values';
  return scrub(`Configuration error: ${name}=${shown} is not valid (${issue.message}); fix: ${fix}.`, secrets);
}

/** The values of the secret variables that are set, for the logger to mask. */
export function secretValues(env: Env): string[] {
  return SECRET_VARIABLES.map((name) => env[name]).filter((v): v is string => v !== undefined);
}

/** Validates an environment (process.env by default, after reading `.env`). Throws ConfigError. */
export function loadEnv(env: Record<string, string | undefined> = readProcessEnv()): Env {
  return parseEnv(envSchema, env);
}

/**
 * Validates `env` against `schema` (envSchema or part of it, e.g. `envSchema.pick(...)` for a tool
 * that reads only a few variables). Throws ConfigError: one line naming the variable and the fix.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(first ? describe(first, env) : 'Configuration error.');
  }
  return parsed.data;
}

function unset(name: keyof Env): ConfigError {
  return new ConfigError(`Configuration error: ${name} is unset; fix: ${FIXES[name] ?? 'see .env.example'}.`);
}

/** What talking to Discord needs: the bot token and the application id. */
export function requireDiscord(env: Env): { token: string; applicationId: string } {
  if (env.DISCORD_TOKEN === undefined) throw unset('DISCORD_TOKEN');
  if (env.DISCORD_APPLICATION_ID === undefined) throw unset('DISCORD_APPLICATION_ID');
  return { token: env.DISCORD_TOKEN, applicationId: env.DISCORD_APPLICATION_ID };
}

/** The bot needs credentials for at least one platform; a half-configured Slack app is an error too. */
export function requirePlatforms(env: Env): { discord: boolean; slack: boolean } {
  const discord = env.DISCORD_TOKEN !== undefined;
  const slack = env.SLACK_BOT_TOKEN !== undefined;
  if (!discord && !slack) {
    throw new ConfigError(
      'Configuration error: DISCORD_TOKEN is unset (and so is SLACK_BOT_TOKEN); fix: put the bot token of at least one platform in .env (see .env.example).',
    );
  }
  if (slack && env.SLACK_SIGNING_SECRET === undefined && env.SLACK_APP_TOKEN === undefined) {
    throw new ConfigError(
      'Configuration error: SLACK_SIGNING_SECRET is unset; fix: copy the Signing Secret from your Slack app (Basic Information), or set SLACK_APP_TOKEN for Socket Mode.',
    );
  }
  if (discord) requireDiscord(env);
  return { discord, slack };
}

let dotenvRead = false;
/** process.env after `.env` (in the working directory) is read into it once; set variables win. */
export function readProcessEnv(): Record<string, string | undefined> {
  if (!dotenvRead) {
    loadDotenv({ quiet: true });
    dotenvRead = true;
  }
  return process.env;
}
