/** Pressing a result's buttons and waiting for the new job's picture (iterate tests on Discord, in-process and Redis). */
import { USERS, type DiscordEmulator, type EmuInteraction } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';

/** `emu` is read at each call: test files start their emulator in beforeAll. */
export function iteratePresses(emu: () => DiscordEmulator) {
  /** The message each press was on (the interaction's message becomes the new job's once it answers). */
  const pressedOn = new WeakMap<EmuInteraction, string>();

  /** The job message once it is done; a pressed button's job has a message of its own. */
  function done(i: EmuInteraction): Promise<EmuMessage> {
    const pressed = pressedOn.get(i);
    return emu().waitFor(
      'the picture',
      () => {
        const m = emu().original(i);
        return m && m.id !== pressed && /Done in/.test(m.content) && m.attachments.length > 0 ? m : undefined;
      },
      180_000,
    );
  }

  function press(m: EmuMessage, label: string, user = USERS.alice): EmuInteraction {
    const b = emu().buttons(m).find((x) => x.label === label);
    if (!b) throw new Error(`no ${label} button on "${m.content}"`);
    const i = emu().clickButton(m, b.customId, user);
    pressedOn.set(i, m.id);
    return i;
  }

  return { done, press };
}
