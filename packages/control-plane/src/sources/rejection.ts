/** How a rejected resource is shown to people: `file:line: Kind/name: reason`, with the bad field's line. */
import type { Origin, ResourceRef } from './config-source.js';
import { lineOfMessage } from './manifest-file.js';

/** The line of the field `message` is about (messages start with the field path), or the document's. */
export function rejectionLine(origin: Origin, message: string): number | undefined {
  if (origin.line === undefined) return undefined;
  return lineOfMessage(origin.fieldLines, message, origin.line);
}

/**
 * `file:line: Kind/name: message (Reason)` for a file, `Kind namespace/name: …` otherwise. The
 * reason is left out when it is `Invalid` (a schema error: the message says it all).
 */
export function formatRejection(ref: ResourceRef, origin: Origin, message: string, reason?: string): string {
  const text = reason === undefined || reason === 'Invalid' ? message : `${message} (${reason})`;
  if (origin.file === undefined) {
    const name = ref.namespace === '' ? ref.name : `${ref.namespace}/${ref.name}`;
    return `${ref.kind} ${name}: ${text}`;
  }
  return `${origin.file}:${rejectionLine(origin, message) ?? 0}: ${ref.kind}/${ref.name}: ${text}`;
}
