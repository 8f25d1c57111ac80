/**
 * The gateway's HTTPS ports on node:tls, the fallback when the native TLS front is not built
 * (or WEFT_GATEWAY_TLS=node): the same client-protocol and hostile-client suites as the native
 * front passes, run again with it turned off.
 */
import { setNativeTlsDisabled } from './native-tls.js';

setNativeTlsDisabled(true);
await import('./gateway-protocols.test.js');
await import('./gateway-hostile.test.js');

const { describe, expect, it } = await import('vitest');
const { nativeTls } = await import('./native-tls.js');

describe('the fallback', () => {
  it('is what these suites ran on: the native front is off', () => {
    expect(nativeTls()).toBeUndefined();
  });
});
