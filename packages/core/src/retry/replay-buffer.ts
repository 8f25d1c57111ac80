/** Buffers a request body so an attempt can be replayed, up to a limit past which the request is not retried. */

/** Bodies up to this size are kept for retries; larger requests are sent once. */
export const MAX_RETRY_BODY_BYTES = 64 * 1024;

/**
 * Collects body chunks as they stream to the first attempt. Once more than `limit` bytes
 * arrive it drops what it held and reports `replayable: false` for good.
 */
export class ReplayBuffer {
  private chunks: Uint8Array[] = [];
  private total = 0;
  private overflowed = false;

  constructor(private readonly limit = MAX_RETRY_BODY_BYTES) {}

  /** Adds a chunk; returns whether the body is still replayable. */
  push(chunk: Uint8Array): boolean {
    this.total += chunk.byteLength;
    if (this.overflowed) return false;
    if (this.total > this.limit) {
      this.overflowed = true;
      this.chunks = [];
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  /** True while every byte seen so far is held. */
  get replayable(): boolean {
    return !this.overflowed;
  }

  /** Bytes seen (held or not). */
  get bytes(): number {
    return this.total;
  }

  /** The held chunks, for a replay; empty once overflowed. */
  get body(): readonly Uint8Array[] {
    return this.chunks;
  }
}
