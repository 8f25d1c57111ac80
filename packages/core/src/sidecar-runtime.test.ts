import { describe, expect, it } from 'vitest';
import { SIDECAR_V8_FLAGS, sidecarNodeOptions } from './sidecar-runtime.js';

describe('sidecarNodeOptions', () => {
  it('is the sidecar flags on their own', () => {
    expect(sidecarNodeOptions()).toBe(SIDECAR_V8_FLAGS.join(' '));
    expect(sidecarNodeOptions('  ')).toBe('--max-semi-space-size=2');
  });

  it("appends to an operator's options and keeps an explicit semi-space size", () => {
    expect(sidecarNodeOptions('--enable-source-maps')).toBe('--enable-source-maps --max-semi-space-size=2');
    expect(sidecarNodeOptions('--max-semi-space-size=8')).toBe('--max-semi-space-size=8');
    expect(sidecarNodeOptions('--max-semi-space-size-x=1')).toBe(
      '--max-semi-space-size-x=1 --max-semi-space-size=2',
    );
  });
});
