// @weft/runtime: the I/O-side building blocks that weft's binaries share and that core, which
// holds only pure logic, must not. Each lives in one file named for what it is.
// The restartable informer is the subpath `@weft/runtime/informer`: it loads
// @kubernetes/client-node, which a sidecar importing this index must not.

export { Backoff, type BackoffSettings } from './backoff.js';
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
