// Shared by the tests of the rendered installation: an issuer that must not be called (the
// identity folder is complete) and a lookup by kind and name.
import type { IdentityIssuer, KubeObject } from '@weft/cli/testing';

export const noIssuer: IdentityIssuer = {
  createCa: () => {
    throw new Error('unexpected: the identity folder is complete');
  },
  check: () => ({ issuerNotAfter: Date.now() + 10 * 365 * 86_400_000 }),
  issueServing: () => {
    throw new Error('unexpected: the identity folder is complete');
  },
};

/** The object of `kind` named `name`; throws when it is missing. */
export function get(list: readonly KubeObject[], kind: string, name: string): Record<string, any> {
  const o = list.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`${kind} ${name} missing`);
  return o as Record<string, any>;
}
