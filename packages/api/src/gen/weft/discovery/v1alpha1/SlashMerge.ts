// Original file: weft/discovery/v1alpha1/discovery.proto

/**
 * Whether runs of "/" collapse into one. Default MERGE.
 */
export const SlashMerge = {
  SLASH_MERGE_UNSPECIFIED: 'SLASH_MERGE_UNSPECIFIED',
  SLASH_MERGE_MERGE: 'SLASH_MERGE_MERGE',
  SLASH_MERGE_KEEP: 'SLASH_MERGE_KEEP',
} as const;

/**
 * Whether runs of "/" collapse into one. Default MERGE.
 */
export type SlashMerge =
  | 'SLASH_MERGE_UNSPECIFIED'
  | 0
  | 'SLASH_MERGE_MERGE'
  | 1
  | 'SLASH_MERGE_KEEP'
  | 2

/**
 * Whether runs of "/" collapse into one. Default MERGE.
 */
export type SlashMerge__Output = typeof SlashMerge[keyof typeof SlashMerge]
