// Original file: weft/discovery/v1alpha1/discovery.proto


export interface AuthorizationSource {
  /**
   * SPIFFE IDs; "*" matches any authenticated peer.
   */
  'identities'?: (string)[];
  'namespaces'?: (string)[];
  /**
   * Match unauthenticated (plaintext) peers.
   */
  'unauthenticated'?: (boolean);
}

export interface AuthorizationSource__Output {
  /**
   * SPIFFE IDs; "*" matches any authenticated peer.
   */
  'identities': (string)[];
  'namespaces': (string)[];
  /**
   * Match unauthenticated (plaintext) peers.
   */
  'unauthenticated': (boolean);
}
