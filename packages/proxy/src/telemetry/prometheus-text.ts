/** The Prometheus text reader now lives in @weft/core (the control plane reads it too); re-exported here. */
export {
  histogramBuckets,
  histogramQuantile,
  labelsMatch,
  parsePrometheusText,
  type Sample,
  sumSamples,
} from '@weft/core';
