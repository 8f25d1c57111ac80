/** Resource versions derived from content, shared by the mesh's resources and the gateway's. */
import { createHash } from 'node:crypto';

/** A content hash used as a resource version: equal content, equal version. */
export function contentVersion(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}
