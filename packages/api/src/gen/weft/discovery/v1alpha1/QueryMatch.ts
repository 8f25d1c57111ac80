// Original file: weft/discovery/v1alpha1/discovery.proto


export interface QueryMatch {
  'name'?: (string);
  'exact'?: (string);
  'regex'?: (string);
  'kind'?: "exact"|"regex";
}

export interface QueryMatch__Output {
  'name': (string);
  'exact'?: (string);
  'regex'?: (string);
  'kind'?: "exact"|"regex";
}
