// Fuzz target: the gateway's config reader and compiler (`weft gateway --config FILE`, and the
// defensive check of a pushed GatewayConfig), then listener, route and certificate selection over
// what compiled. Input: the config text, optionally followed by NUL and "METHOD PATH HOST".
//
// Invariants: reading and compiling either succeed or throw GatewayConfigFileError /
// GatewayConfigError (a precise, expected rejection); selecting a route or a certificate for any
// request on a compiled config never throws.
import { routeRequest } from '../../../packages/core/dist/index.js';
import { pickCertificate } from '../../../packages/proxy/dist/gateway/certificates.js';
import { compileGateway, parseGatewayConfigJson } from '../../../packages/proxy/dist/gateway/index.js';
import { selectRoute } from '../../../packages/proxy/dist/gateway/select.js';
import { check } from './invariant.mjs';

export const meta = {
  description: 'GatewayConfig JSON -> parse -> compile -> select route and certificate',
  includes: ['packages/proxy/dist/gateway/'],
  // The reader walks untrusted JSON keys into protobufjs: watch for Object.prototype pollution.
  bugDetectors: ['prototype-pollution'],
};

const EXPECTED = new Set(['GatewayConfigError', 'GatewayConfigFileError']);

export function fuzz(data) {
  const text = data.toString('utf8');
  const nul = text.indexOf('\u0000');
  const config = nul < 0 ? text : text.slice(0, nul);
  const [method = 'GET', path = '/', host = 'a.example'] = (nul < 0 ? '' : text.slice(nul + 1)).split(' ');
  let compiled;
  try {
    compiled = compileGateway(parseGatewayConfigJson(config));
  } catch (err) {
    check(EXPECTED.has(err?.name), () => `unexpected ${err?.name}: ${err?.message}`);
    return;
  }
  for (const port of compiled.ports.values()) {
    selectRoute(port, host.toLowerCase(), routeRequest(method, path, { env: 'canary' }));
    pickCertificate(port, host);
  }
}
