// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';

export interface Backoff {
  'base'?: (_google_protobuf_Duration | null);
  'max'?: (_google_protobuf_Duration | null);
}

export interface Backoff__Output {
  'base': (_google_protobuf_Duration__Output | null);
  'max': (_google_protobuf_Duration__Output | null);
}
