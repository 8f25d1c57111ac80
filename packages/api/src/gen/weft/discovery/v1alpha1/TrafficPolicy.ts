// Original file: weft/discovery/v1alpha1/discovery.proto

import type { LoadBalancer as _weft_discovery_v1alpha1_LoadBalancer, LoadBalancer__Output as _weft_discovery_v1alpha1_LoadBalancer__Output } from '../../../weft/discovery/v1alpha1/LoadBalancer.js';
import type { Timeouts as _weft_discovery_v1alpha1_Timeouts, Timeouts__Output as _weft_discovery_v1alpha1_Timeouts__Output } from '../../../weft/discovery/v1alpha1/Timeouts.js';
import type { RetryPolicy as _weft_discovery_v1alpha1_RetryPolicy, RetryPolicy__Output as _weft_discovery_v1alpha1_RetryPolicy__Output } from '../../../weft/discovery/v1alpha1/RetryPolicy.js';
import type { OutlierDetection as _weft_discovery_v1alpha1_OutlierDetection, OutlierDetection__Output as _weft_discovery_v1alpha1_OutlierDetection__Output } from '../../../weft/discovery/v1alpha1/OutlierDetection.js';
import type { Limits as _weft_discovery_v1alpha1_Limits, Limits__Output as _weft_discovery_v1alpha1_Limits__Output } from '../../../weft/discovery/v1alpha1/Limits.js';

export interface TrafficPolicy {
  'loadBalancer'?: (_weft_discovery_v1alpha1_LoadBalancer);
  'timeouts'?: (_weft_discovery_v1alpha1_Timeouts | null);
  'retry'?: (_weft_discovery_v1alpha1_RetryPolicy | null);
  'outlierDetection'?: (_weft_discovery_v1alpha1_OutlierDetection | null);
  'limits'?: (_weft_discovery_v1alpha1_Limits | null);
}

export interface TrafficPolicy__Output {
  'loadBalancer': (_weft_discovery_v1alpha1_LoadBalancer__Output);
  'timeouts': (_weft_discovery_v1alpha1_Timeouts__Output | null);
  'retry': (_weft_discovery_v1alpha1_RetryPolicy__Output | null);
  'outlierDetection': (_weft_discovery_v1alpha1_OutlierDetection__Output | null);
  'limits': (_weft_discovery_v1alpha1_Limits__Output | null);
}
