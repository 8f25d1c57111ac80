/** @weft/proxy-init. */
export {};
