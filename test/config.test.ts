import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadEnv, requirePlatforms } from '../src/config.js';

const TOKEN = 'MTA5ODc2NTQzMjEwOTg3NjU0.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB';

describe('configuration', () => {
  it('applies the documented defaults to an empty environment', () => {
    const env = loadEnv({});
    expect(env.MAX_IMAGE_SIZE).toBe(1024);
    expect(env.QUEUE_MAX_PER_USER).toBe(1);
    expect(env.QUEUE_MAX_PER_GUILD).toBe(3);
    expect(env.QUEUE_MAX_LENGTH).toBe(20);
    expect(env.JOB_TIME_LIMIT_S).toBe(600);
    expect(env.STYLIZE_BACKEND).toBe('auto');
    expect(env.DISCORD_CDN_HOSTS).toEqual(['cdn.discordapp.com', 'media.discordapp.net']);
  });

  it('names the variable, the bad value and the fix in one line', () => {
    let error: unknown;
    try {
      loadEnv({ QUEUE_MAX_LENGTH: 'lots' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('QUEUE_MAX_LENGTH');
    expect(message).toContain('"lots"');
    expect(message).toContain('fix:');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('rejects an unknown backend and an out-of-range port', () => {
    expect(() => loadEnv({ STYLIZE_BACKEND: 'quantum' })).toThrow(/STYLIZE_BACKEND="quantum"/);
    expect(() => loadEnv({ HTTP_PORT: '70000' })).toThrow(/HTTP_PORT="70000"/);
  });

  it('never prints a secret value, even when it is the bad one', () => {
    const env = loadEnv({ DISCORD_TOKEN: TOKEN });
    expect(() => requirePlatforms(env)).toThrow(ConfigError);
    try {
      requirePlatforms(env);
    } catch (e) {
      expect((e as Error).message).toContain('DISCORD_APPLICATION_ID');
      expect((e as Error).message).not.toContain(TOKEN);
    }
  });

  it('needs the credentials of at least one platform', () => {
    expect(() => requirePlatforms(loadEnv({}))).toThrow(/DISCORD_TOKEN is unset/);
    expect(requirePlatforms(loadEnv({ DISCORD_TOKEN: TOKEN, DISCORD_APPLICATION_ID: '123456789012345678' }))).toEqual({
      discord: true,
      slack: false,
    });
    expect(() => requirePlatforms(loadEnv({ SLACK_BOT_TOKEN: 'xoxb-1-2-3' }))).toThrow(/SLACK_SIGNING_SECRET/);
  });

  it('.env.example lists exactly the variables the schema reads', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const listed = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(Object.keys(envSchema.shape).sort());
    // The example's values are themselves valid configuration.
    const values = Object.fromEntries([...example.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(() => loadEnv(values)).not.toThrow();
  });
});
