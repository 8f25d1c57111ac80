/** @weft/injector. */
export {};
