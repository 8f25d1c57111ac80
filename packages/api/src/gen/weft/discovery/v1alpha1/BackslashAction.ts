// Original file: weft/discovery/v1alpha1/discovery.proto

/**
 * What a raw "\" in a path does. Default REJECT.
 */
export const BackslashAction = {
  BACKSLASH_ACTION_UNSPECIFIED: 'BACKSLASH_ACTION_UNSPECIFIED',
  BACKSLASH_ACTION_REJECT: 'BACKSLASH_ACTION_REJECT',
  BACKSLASH_ACTION_TO_SLASH: 'BACKSLASH_ACTION_TO_SLASH',
} as const;

/**
 * What a raw "\" in a path does. Default REJECT.
 */
export type BackslashAction =
  | 'BACKSLASH_ACTION_UNSPECIFIED'
  | 0
  | 'BACKSLASH_ACTION_REJECT'
  | 1
  | 'BACKSLASH_ACTION_TO_SLASH'
  | 2

/**
 * What a raw "\" in a path does. Default REJECT.
 */
export type BackslashAction__Output = typeof BackslashAction[keyof typeof BackslashAction]
