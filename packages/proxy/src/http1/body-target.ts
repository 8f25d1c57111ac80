/** Where a request body is streamed to: the upstream connection carrying the request. */
export interface BodyTarget {
  /** Writes framed body bytes; false asks the source to pause until `onDrain` fires. */
  write(chunk: Buffer): boolean;
  /** The body is complete. */
  end(): void;
  /** Calls `resume` once the target can take more. */
  onDrain(resume: () => void): void;
}
