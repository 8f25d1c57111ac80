/** @weft/control-plane. */
export {};
