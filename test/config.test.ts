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

  it('an empty integer setting means its default, never 0', () => {
    const env = loadEnv({ HTTP_PORT: '', SLACK_PORT: ' ', SHUTDOWN_GRACE_S: '', REROLL_KEEP_MIN: '', WASM_THREADS: '', QUEUE_MAX_LENGTH: '', DISCORD_SHARDS: '' });
    expect(env).toMatchObject({ HTTP_PORT: 8080, SLACK_PORT: 3000, SHUTDOWN_GRACE_S: 60, REROLL_KEEP_MIN: 60, WASM_THREADS: 0, QUEUE_MAX_LENGTH: 20, DISCORD_SHARDS: 'off' });
  });

  it('every integer setting takes decimal digits only: 0x10, 1e3, 12.0 and -1 are refused, naming the variable and the range', () => {
    for (const value of ['0x10', '1e3', '12.0', '-1', '0b11', 'Infinity']) {
      expect(() => loadEnv({ HTTP_PORT: value })).toThrow(`Configuration error: HTTP_PORT=${JSON.stringify(value)} is not valid (a whole number from 0 to 65535)`);
    }
    expect(() => loadEnv({ REROLL_KEEP_MIN: '0x10' })).toThrow(/REROLL_KEEP_MIN="0x10" is not valid \(a whole number from 0 to 10080\)/);
    expect(loadEnv({ HTTP_PORT: ' 9090 ', SHUTDOWN_GRACE_S: '0' })).toMatchObject({ HTTP_PORT: 9090, SHUTDOWN_GRACE_S: 0 });
  });

  it('an empty WEIGHTS_CACHE_DIR is the default folder, not the working directory', () => {
    expect(loadEnv({ WEIGHTS_CACHE_DIR: '' }).WEIGHTS_CACHE_DIR).toBe('.cache/weights');
    expect(loadEnv({ WEIGHTS_CACHE_DIR: '  ' }).WEIGHTS_CACHE_DIR).toBe('.cache/weights');
  });

  it('STYLIZE_ONNX_CONV is direct, winograd or empty; anything else stops start-up', () => {
    expect(loadEnv({ STYLIZE_ONNX_CONV: '' }).STYLIZE_ONNX_CONV).toBeUndefined();
    expect(loadEnv({ STYLIZE_ONNX_CONV: 'winograd' }).STYLIZE_ONNX_CONV).toBe('winograd');
    expect(() => loadEnv({ STYLIZE_ONNX_CONV: 'garbage' })).toThrow(/STYLIZE_ONNX_CONV="garbage" is not valid/);
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
