/** Protocol detection from the first bytes a client sends: HTTP/1.x, HTTP/2 prior knowledge, TLS, or opaque. */

export type DetectedProtocol = 'http1' | 'h2' | 'tls' | 'opaque';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const MAX_METHOD = 24;

/**
 * Classifies `data`; 'need-more' when the bytes so far are a prefix of more than one answer.
 * HTTP/1 is "a token of uppercase letters then a space": the parser decides the rest.
 */
export function classify(data: Buffer): DetectedProtocol | 'need-more' {
  if (data.length === 0) return 'need-more';
  const first = data[0]!;
  if (first === 0x16) {
    if (data.length < 2) return 'need-more';
    return data[1] === 0x03 ? 'tls' : 'opaque';
  }
  if (first === 0x50 /* P */) {
    const n = Math.min(data.length, H2_PREFACE.length);
    if (data.compare(H2_PREFACE, 0, n, 0, n) === 0) return n === H2_PREFACE.length ? 'h2' : 'need-more';
  }
  for (let i = 0; i < data.length && i <= MAX_METHOD; i++) {
    const c = data[i]!;
    if (c === 0x20) return i > 0 ? 'http1' : 'opaque';
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f)) return 'opaque';
  }
  return data.length > MAX_METHOD ? 'opaque' : 'need-more';
}

/** True once `classify` has an answer. */
export function detectionDone(data: Buffer): boolean {
  return classify(data) !== 'need-more';
}
