// Original file: weft/discovery/v1alpha1/discovery.proto

export const DefaultAction = {
  DEFAULT_ACTION_UNSPECIFIED: 'DEFAULT_ACTION_UNSPECIFIED',
  DEFAULT_ACTION_ALLOW_ALL: 'DEFAULT_ACTION_ALLOW_ALL',
  DEFAULT_ACTION_ALLOW_AUTHENTICATED: 'DEFAULT_ACTION_ALLOW_AUTHENTICATED',
  DEFAULT_ACTION_DENY: 'DEFAULT_ACTION_DENY',
} as const;

export type DefaultAction =
  | 'DEFAULT_ACTION_UNSPECIFIED'
  | 0
  | 'DEFAULT_ACTION_ALLOW_ALL'
  | 1
  | 'DEFAULT_ACTION_ALLOW_AUTHENTICATED'
  | 2
  | 'DEFAULT_ACTION_DENY'
  | 3

export type DefaultAction__Output = typeof DefaultAction[keyof typeof DefaultAction]
