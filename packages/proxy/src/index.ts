/** @weft/proxy. */
export { ensureOriginalDstAddon, getOriginalDst, type OriginalDst } from './original-dst.js';
