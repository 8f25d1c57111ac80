// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';

export interface OutlierDetection {
  'consecutiveFailures'?: (number);
  'baseEjectionTime'?: (_google_protobuf_Duration | null);
  'maxEjectionPercent'?: (number);
}

export interface OutlierDetection__Output {
  'consecutiveFailures': (number);
  'baseEjectionTime': (_google_protobuf_Duration__Output | null);
  'maxEjectionPercent': (number);
}
