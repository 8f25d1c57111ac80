/** @weft/proxy. */
export {};
