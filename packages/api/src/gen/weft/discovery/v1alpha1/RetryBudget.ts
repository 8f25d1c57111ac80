// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';

export interface RetryBudget {
  'ratio'?: (number | string);
  'minPerSecond'?: (number);
  'ttl'?: (_google_protobuf_Duration | null);
}

export interface RetryBudget__Output {
  'ratio': (number);
  'minPerSecond': (number);
  'ttl': (_google_protobuf_Duration__Output | null);
}
