// Original file: weft/discovery/v1alpha1/discovery.proto


export interface HeaderMatch {
  'name'?: (string);
  'exact'?: (string);
  'regex'?: (string);
  'kind'?: "exact"|"regex";
}

export interface HeaderMatch__Output {
  'name': (string);
  'exact'?: (string);
  'regex'?: (string);
  'kind'?: "exact"|"regex";
}
