/** The weft version, read once from the CLI's package.json. */
import { readFileSync } from 'node:fs';

/** The CLI package's version (all weft packages share one version). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
