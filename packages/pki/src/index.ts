/** @weft/pki. */
export {};
