/**
 * The request body of a mirrored request, copied as the primary request reads it. The copy
 * never pushes back: the client's bytes go to the primary at the primary's pace, and the copy
 * keeps what it can within two bounds, else gives up (the mirror is then skipped and counted).
 */

/**
 * Body bytes held for one mirrored request. The Gateway API mirrors whole requests, but a copy
 * must be held in memory until the client's body is complete (it is sent as one exchange with
 * a Content-Length): 64 KiB covers form posts and API calls, the same bound the traffic path
 * holds for replaying a body on retry.
 */
export const MAX_MIRROR_BODY_BYTES = 64 * 1024;

/**
 * Body bytes held for all mirrored requests together. 16 MiB is 256 full bodies: four times the
 * default `--mirror-max-in-flight`, so copies waiting for their body to finish do not starve
 * the ones being sent, while a burst of large uploads cannot grow the gateway's heap without bound.
 */
export const MAX_MIRROR_BUFFERED_BYTES = 16 * 1024 * 1024;

/** A shared byte budget: reserved as body bytes are copied, released when the copy is gone. */
export class MirrorBudget {
  private used = 0;

  constructor(readonly limit = MAX_MIRROR_BUFFERED_BYTES) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.used;
  }

  /** Takes `n` bytes; false (nothing taken) when that would pass the limit. */
  reserve(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/** Why a body copy was given up. */
export type BodyDropReason = 'too-large' | 'memory' | 'incomplete';

export interface BodyCopyEvents {
  /** The whole body was copied (the chunks are now the caller's; call `release` once sent). */
  complete(chunks: readonly Buffer[], bytes: number): void;
  /** The copy was given up (nothing is held any more). Called at most once, never after `complete`. */
  dropped(reason: BodyDropReason): void;
}

/**
 * One body's copy: `push` each chunk the primary reads, `end` when the body is over, `abandon`
 * when the client's exchange is over (a body that never ended). Chunks are copied: the primary's
 * buffers are reused by the sockets that own them.
 */
export class BodyCopy {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private state: 'copying' | 'complete' | 'dropped' = 'copying';

  constructor(
    private readonly budget: MirrorBudget,
    private readonly events: BodyCopyEvents,
    private readonly cap = MAX_MIRROR_BODY_BYTES,
  ) {}

  push(chunk: Buffer): void {
    if (this.state !== 'copying' || chunk.length === 0) return;
    if (this.bytes + chunk.length > this.cap) {
      this.drop('too-large');
      return;
    }
    if (!this.budget.reserve(chunk.length)) {
      this.drop('memory');
      return;
    }
    this.chunks.push(Buffer.from(chunk));
    this.bytes += chunk.length;
  }

  end(): void {
    if (this.state !== 'copying') return;
    this.state = 'complete';
    const chunks = this.chunks;
    this.chunks = [];
    this.events.complete(chunks, this.bytes);
  }

  /** The client's exchange is over: a body still being copied never will be whole. */
  abandon(): void {
    if (this.state === 'copying') this.drop('incomplete');
  }

  /** Gives back the bytes of a completed copy (its mirrored request is over). */
  release(): void {
    this.budget.release(this.bytes);
    this.bytes = 0;
  }

  private drop(reason: BodyDropReason): void {
    this.state = 'dropped';
    this.budget.release(this.bytes);
    this.bytes = 0;
    this.chunks = [];
    this.events.dropped(reason);
  }
}
