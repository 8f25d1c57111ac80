/** How a long-running proxy command (`weft proxy`, `weft gateway`) waits for its end. */
import type { Logger } from '@weft/runtime';

/**
 * Resolves once `stop` (the drain) has settled after the first of SIGTERM, SIGINT or the admin
 * listener's /shutdown (through `sidecar.onShutdownRequest`); later requests do nothing.
 */
export function untilStopped(
  sidecar: { onShutdownRequest: () => void },
  stop: () => Promise<unknown>,
  logger: Logger,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const drain = (why: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ why }, 'draining');
      stop().then(
        () => resolve(),
        () => resolve(),
      );
    };
    sidecar.onShutdownRequest = () => drain('/shutdown');
    process.once('SIGTERM', () => drain('SIGTERM'));
    process.once('SIGINT', () => drain('SIGINT'));
  });
}
