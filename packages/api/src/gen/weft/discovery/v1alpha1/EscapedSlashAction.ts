// Original file: weft/discovery/v1alpha1/discovery.proto

/**
 * What "%2F" and "%5C" in a path do. Default REJECT.
 */
export const EscapedSlashAction = {
  ESCAPED_SLASH_ACTION_UNSPECIFIED: 'ESCAPED_SLASH_ACTION_UNSPECIFIED',
  ESCAPED_SLASH_ACTION_KEEP: 'ESCAPED_SLASH_ACTION_KEEP',
  ESCAPED_SLASH_ACTION_REJECT: 'ESCAPED_SLASH_ACTION_REJECT',
  ESCAPED_SLASH_ACTION_UNESCAPE: 'ESCAPED_SLASH_ACTION_UNESCAPE',
} as const;

/**
 * What "%2F" and "%5C" in a path do. Default REJECT.
 */
export type EscapedSlashAction =
  | 'ESCAPED_SLASH_ACTION_UNSPECIFIED'
  | 0
  | 'ESCAPED_SLASH_ACTION_KEEP'
  | 1
  | 'ESCAPED_SLASH_ACTION_REJECT'
  | 2
  | 'ESCAPED_SLASH_ACTION_UNESCAPE'
  | 3

/**
 * What "%2F" and "%5C" in a path do. Default REJECT.
 */
export type EscapedSlashAction__Output = typeof EscapedSlashAction[keyof typeof EscapedSlashAction]
