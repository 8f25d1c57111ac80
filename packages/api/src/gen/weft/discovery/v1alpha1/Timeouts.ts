// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';

export interface Timeouts {
  'request'?: (_google_protobuf_Duration | null);
  'perTry'?: (_google_protobuf_Duration | null);
  'idle'?: (_google_protobuf_Duration | null);
}

export interface Timeouts__Output {
  'request': (_google_protobuf_Duration__Output | null);
  'perTry': (_google_protobuf_Duration__Output | null);
  'idle': (_google_protobuf_Duration__Output | null);
}
