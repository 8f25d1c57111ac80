/** The start-up recorder: each step once, ready exactly once and only when the sidecar is. */
import { describe, expect, it } from 'vitest';
import { StartupRecorder } from './startup-timeline.js';

describe('StartupRecorder', () => {
  it('resolves ready once, at the first step or check that finds the sidecar ready', async () => {
    let now = 100;
    let ready = false;
    const r = new StartupRecorder(
      () => ready,
      () => now,
    );
    let resolved = 0;
    void r.ready.then(() => resolved++);
    r.mark('run');
    now = 150;
    r.mark('listening');
    now = 180;
    r.mark('certificate');
    expect(r.timeline()).toEqual({ run: 100, listening: 150, certificate: 180 });
    now = 230;
    ready = true;
    r.mark('config');
    now = 300;
    r.mark('config');
    r.check();
    const timeline = await r.ready;
    expect(timeline).toEqual({ run: 100, listening: 150, certificate: 180, config: 230, ready: 230 });
    expect(resolved).toBe(1);
  });

  it('stays pending while not ready, whatever steps pass', async () => {
    const r = new StartupRecorder(() => false);
    r.mark('run');
    r.mark('listening');
    r.check();
    const outcome = await Promise.race([r.ready.then(() => 'ready'), Promise.resolve('pending')]);
    expect(outcome).toBe('pending');
    expect(r.timeline().ready).toBeUndefined();
  });
});
