/** @weft/core: pure logic shared by every weft component. */
export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.js';
export {
  describeError,
  isWeftError,
  WeftError,
  type WeftErrorCode,
  type WeftErrorOptions,
} from './errors.js';
export { createLogger, type Logger, type LoggerOptions, silentLogger } from './logger.js';
export { jitter, type Random, seededRandom, systemRandom } from './random.js';
