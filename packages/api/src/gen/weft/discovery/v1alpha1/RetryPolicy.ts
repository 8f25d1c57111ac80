// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Backoff as _weft_discovery_v1alpha1_Backoff, Backoff__Output as _weft_discovery_v1alpha1_Backoff__Output } from '../../../weft/discovery/v1alpha1/Backoff.js';
import type { RetryBudget as _weft_discovery_v1alpha1_RetryBudget, RetryBudget__Output as _weft_discovery_v1alpha1_RetryBudget__Output } from '../../../weft/discovery/v1alpha1/RetryBudget.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';

export interface RetryPolicy {
  'attempts'?: (number);
  /**
   * connect-failure, refused-stream, reset, 5xx, gateway-error, "503", grpc:unavailable ...
   */
  'conditions'?: (string)[];
  'backoff'?: (_weft_discovery_v1alpha1_Backoff | null);
  'budget'?: (_weft_discovery_v1alpha1_RetryBudget | null);
  'perTryTimeout'?: (_google_protobuf_Duration | null);
  /**
   * Retry non-idempotent methods too (off by default).
   */
  'retryNonIdempotent'?: (boolean);
}

export interface RetryPolicy__Output {
  'attempts': (number);
  /**
   * connect-failure, refused-stream, reset, 5xx, gateway-error, "503", grpc:unavailable ...
   */
  'conditions': (string)[];
  'backoff': (_weft_discovery_v1alpha1_Backoff__Output | null);
  'budget': (_weft_discovery_v1alpha1_RetryBudget__Output | null);
  'perTryTimeout': (_google_protobuf_Duration__Output | null);
  /**
   * Retry non-idempotent methods too (off by default).
   */
  'retryNonIdempotent': (boolean);
}
