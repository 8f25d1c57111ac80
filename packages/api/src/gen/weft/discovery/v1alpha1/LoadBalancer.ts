// Original file: weft/discovery/v1alpha1/discovery.proto

export const LoadBalancer = {
  LOAD_BALANCER_UNSPECIFIED: 'LOAD_BALANCER_UNSPECIFIED',
  LOAD_BALANCER_PEAK_EWMA: 'LOAD_BALANCER_PEAK_EWMA',
  LOAD_BALANCER_ROUND_ROBIN: 'LOAD_BALANCER_ROUND_ROBIN',
  LOAD_BALANCER_LEAST_REQUEST: 'LOAD_BALANCER_LEAST_REQUEST',
} as const;

export type LoadBalancer =
  | 'LOAD_BALANCER_UNSPECIFIED'
  | 0
  | 'LOAD_BALANCER_PEAK_EWMA'
  | 1
  | 'LOAD_BALANCER_ROUND_ROBIN'
  | 2
  | 'LOAD_BALANCER_LEAST_REQUEST'
  | 3

export type LoadBalancer__Output = typeof LoadBalancer[keyof typeof LoadBalancer]
