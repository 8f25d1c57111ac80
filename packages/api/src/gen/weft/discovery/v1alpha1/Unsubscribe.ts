// Original file: weft/discovery/v1alpha1/discovery.proto


export interface Unsubscribe {
  'names'?: (string)[];
}

export interface Unsubscribe__Output {
  'names': (string)[];
}
