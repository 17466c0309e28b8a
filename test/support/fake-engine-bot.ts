/**
 * `npm start` (src/main.ts's runBot: configuration, weights, signals, the app) with the fake engine
 * thread, for tests about the bot process rather than the engine. FAKE_STEP_MS sets the fake's
 * milliseconds per 128 px step. Spawn it as node itself (`--import` tsx's loader), so the pid a
 * test signals or kills is the bot's.
 */
import { fileURLToPath } from 'node:url';
import { exitOnStartFailure, runBot } from '../../src/main.js';
import { fakeEngineWorker } from './fake-engine-worker.js';

const stepMs = process.env.FAKE_STEP_MS === undefined ? undefined : Number(process.env.FAKE_STEP_MS);
runBot({ queue: { workerEntry: fakeEngineWorker({ stepMs }) }, shardEntry: fileURLToPath(import.meta.url) }).catch(exitOnStartFailure);
