// Original file: weft/discovery/v1alpha1/discovery.proto

/**
 * Which target is sent to the app. Default NORMALIZED (the app sees what policy matched).
 */
export const ForwardedPath = {
  FORWARDED_PATH_UNSPECIFIED: 'FORWARDED_PATH_UNSPECIFIED',
  FORWARDED_PATH_NORMALIZED: 'FORWARDED_PATH_NORMALIZED',
  FORWARDED_PATH_ORIGINAL: 'FORWARDED_PATH_ORIGINAL',
} as const;

/**
 * Which target is sent to the app. Default NORMALIZED (the app sees what policy matched).
 */
export type ForwardedPath =
  | 'FORWARDED_PATH_UNSPECIFIED'
  | 0
  | 'FORWARDED_PATH_NORMALIZED'
  | 1
  | 'FORWARDED_PATH_ORIGINAL'
  | 2

/**
 * Which target is sent to the app. Default NORMALIZED (the app sees what policy matched).
 */
export type ForwardedPath__Output = typeof ForwardedPath[keyof typeof ForwardedPath]
