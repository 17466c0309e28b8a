/** /cancel as a Discord slash command. */
import * as command from '../../../commands/cancel.js';
import { privateAnswer } from './private-answer.js';

export const { name, data, execute } = privateAnswer(command, command.cancelMine);
