import { describe, expect, it } from 'vitest';
import { OptionError, helpLines, optionsFor, parseOptions } from '../../src/commands/options.js';

describe('the one option schema', () => {
  it('turns strings from the CLI or Slack and typed values from Discord into the same engine options', () => {
    const fromCli = parseOptions({ size: '256', strength: '0.7', preserve_colors: 'true', style_weight: '1e3' }, { sizeCap: 1024 });
    const fromDiscord = parseOptions({ size: 256, strength: 0.7, preserve_colors: true, style_weight: 1000 }, { sizeCap: 1024 });
    expect(fromCli.engine).toEqual({ size: 256, strength: 0.7, preserveColors: true, styleWeight: 1000 });
    expect(fromDiscord.engine).toEqual(fromCli.engine);
  });

  it('keeps adapter-only options out of the engine request', () => {
    const parsed = parseOptions({ private: true, seed: 42 }, { sizeCap: 1024 });
    expect(parsed.engine).toEqual({ seed: 42 });
    expect(parsed.adapter).toEqual({ private: true });
  });

  it('refuses out-of-range and malformed values with a sentence naming the option and the value', () => {
    expect(() => parseOptions({ size: 2048 }, { sizeCap: 1024 })).toThrow(/size must be at most 1024 \(you gave 2048\)/);
    expect(() => parseOptions({ strength: 'strong' }, { sizeCap: 1024 })).toThrow(/strength must be a number/);
    expect(() => parseOptions({ iterations: 12.5 }, { sizeCap: 1024 })).toThrow(/iterations must be a whole number/);
    expect(() => parseOptions({ optimizer: 'sgd' }, { sizeCap: 1024 })).toThrow(/optimizer must be one of lbfgs, adam/);
    expect(() => parseOptions({ colour: 'red' }, { sizeCap: 1024 })).toThrow(OptionError);
  });

  it('applies the configured size cap', () => {
    expect(parseOptions({ size: 2048 }, { sizeCap: 4096 }).engine.size).toBe(2048);
  });

  it('derives each surface from the same list, and /help describes every option a surface offers', () => {
    const discord = optionsFor('discord').map((o) => o.name);
    expect(discord).toContain('private');
    expect(optionsFor('slack').map((o) => o.name)).toEqual(['mode', 'strength', 'size', 'preserve_colors', 'seed']);
    const help = helpLines('discord', 1024);
    expect(help).toHaveLength(discord.length);
    expect(help.find((l) => l.startsWith('size'))).toContain('64–1024');
  });
});

describe('defaults shown to users', () => {
  it('are the engine’s own defaults, so /help and --help never promise something else', async () => {
    const { DEFAULT_OPTIONS } = await import('../../src/engine/defaults.js');
    const { STYLIZE_OPTIONS } = await import('../../src/commands/options.js');
    const shown = STYLIZE_OPTIONS.filter((d) => d.engineKey && d.default !== undefined);
    expect(shown.length).toBeGreaterThan(5);
    for (const d of shown) expect([d.name, d.default]).toEqual([d.name, DEFAULT_OPTIONS[d.engineKey!]]);
  });
});
