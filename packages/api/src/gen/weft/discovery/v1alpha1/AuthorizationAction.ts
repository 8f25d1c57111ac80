// Original file: weft/discovery/v1alpha1/discovery.proto

export const AuthorizationAction = {
  AUTHORIZATION_ACTION_UNSPECIFIED: 'AUTHORIZATION_ACTION_UNSPECIFIED',
  AUTHORIZATION_ACTION_ALLOW: 'AUTHORIZATION_ACTION_ALLOW',
  AUTHORIZATION_ACTION_DENY: 'AUTHORIZATION_ACTION_DENY',
} as const;

export type AuthorizationAction =
  | 'AUTHORIZATION_ACTION_UNSPECIFIED'
  | 0
  | 'AUTHORIZATION_ACTION_ALLOW'
  | 1
  | 'AUTHORIZATION_ACTION_DENY'
  | 2

export type AuthorizationAction__Output = typeof AuthorizationAction[keyof typeof AuthorizationAction]
