import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkPublicKey, publicKeyFromSpki } from './keys.js';

describe('publicKeyFromSpki', () => {
  it.each([
    ['ec', { namedCurve: 'prime256v1' }],
    ['ec', { namedCurve: 'secp384r1' }],
    ['ec', { namedCurve: 'secp256k1' }],
    ['rsa', { modulusLength: 2048 }],
    ['rsa', { modulusLength: 3072, publicExponent: 3 }],
    ['ed25519', {}],
  ] as const)('imports %s %j exactly as the DER decoder does', (type, options) => {
    const { publicKey } = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    expect(publicKeyFromSpki(der).equals(publicKey)).toBe(true);
  });

  it('rejects bytes that are not a key, and a point off the curve', () => {
    expect(() => publicKeyFromSpki(Buffer.from('3000', 'hex'))).toThrow(/not a valid public key/);
    const der = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    const bad = Buffer.from(der);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    expect(() => publicKeyFromSpki(bad)).toThrow(/not a valid public key/);
  });
});

describe('checkPublicKey', () => {
  it('accepts P-256 and RSA-2048, refuses small RSA and other curves', () => {
    const key = (t: 'ec' | 'rsa', o: object) =>
      generateKeyPairSync(t as 'ec', o as { namedCurve: string }).publicKey;
    expect(checkPublicKey(key('ec', { namedCurve: 'prime256v1' }))).toEqual({ type: 'ok', kind: 'ec' });
    expect(checkPublicKey(key('rsa', { modulusLength: 2048 }))).toEqual({ type: 'ok', kind: 'rsa' });
    expect(checkPublicKey(key('rsa', { modulusLength: 1024 }))).toMatchObject({ reason: 'weak-key' });
    expect(checkPublicKey(key('rsa', { modulusLength: 2048, publicExponent: 3 }))).toMatchObject({
      reason: 'unsupported-key',
    });
    expect(checkPublicKey(key('ec', { namedCurve: 'secp256k1' }))).toMatchObject({
      reason: 'unsupported-key',
    });
  });
});
