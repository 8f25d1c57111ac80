// Invariant failures raised by fuzz targets: anything thrown that is not one of these is a crash too.

/** Thrown when a fuzz target's invariant does not hold for an input. */
export class InvariantError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvariantError';
  }
}

/** Throws InvariantError(message) unless `condition`. */
export function check(condition, message) {
  if (!condition) throw new InvariantError(typeof message === 'function' ? message() : message);
}

/** Compares two JSON-able values structurally. */
export function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
