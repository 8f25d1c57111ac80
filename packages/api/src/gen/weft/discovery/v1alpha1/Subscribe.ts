// Original file: weft/discovery/v1alpha1/discovery.proto


export interface Subscribe {
  'names'?: (string)[];
}

export interface Subscribe__Output {
  'names': (string)[];
}
