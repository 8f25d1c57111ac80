// @weft/runtime: the I/O-side building blocks that weft's binaries share and that core, which
// holds only pure logic, must not. Each lives in one file named for what it is.

export { Backoff, type BackoffSettings } from './backoff.js';
export {
  INFORMER_BACKOFF_DEFAULTS,
  RECENT_RETRIES,
  RestartableInformer,
  type RestartableInformerOptions,
  type ScheduledRetry,
} from './informer.js';
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  logFormat,
  prettyStream,
  silentLogger,
} from './logging.js';
export {
  histogramBuckets,
  histogramQuantile,
  labelsMatch,
  parsePrometheusText,
  type Sample,
  sumSamples,
} from './prometheus-text.js';
