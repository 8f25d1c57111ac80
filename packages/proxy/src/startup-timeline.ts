/**
 * When the sidecar passed each start-up step, in ms since the process started
 * (`performance.now()`), so that "ready within 300 ms of exec" can be broken down without a
 * profiler: modules loaded, listeners bound, certificate held, first config, ready.
 */

/** The steps a sidecar's start-up passes, in order (some are absent without a control plane). */
export type StartupStep = 'run' | 'link-loaded' | 'listening' | 'certificate' | 'config' | 'ready';

/** ms since process start at which each step was first reached. */
export type StartupTimeline = Readonly<Partial<Record<StartupStep, number>>>;

/**
 * Records steps once each and resolves {@link StartupRecorder.ready} the first time
 * `isReady()` holds when a step is recorded or {@link StartupRecorder.check} runs.
 * Owned by runSidecar; the CLI prints the timeline as its `ready` event.
 */
export class StartupRecorder {
  private readonly marks: Partial<Record<StartupStep, number>> = {};
  private done = false;
  private resolve: (timeline: StartupTimeline) => void = () => {};
  /** Resolves once, with the timeline, when the sidecar first becomes ready. */
  readonly ready: Promise<StartupTimeline>;

  constructor(
    private readonly isReady: () => boolean,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.ready = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** Records `step` (the first time only), then checks readiness. */
  mark(step: StartupStep): void {
    this.marks[step] ??= round(this.now());
    this.check();
  }

  /** Resolves `ready` if the sidecar is ready now (and was not before). */
  check(): void {
    if (this.done || !this.isReady()) return;
    this.done = true;
    this.marks.ready = round(this.now());
    this.resolve({ ...this.marks });
  }

  /** The steps so far. */
  timeline(): StartupTimeline {
    return { ...this.marks };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
