/** @weft/proxy/gateway: the proxy as an ingress gateway (`weft gateway`). */

export { compileGateway, GATEWAY_LIMITS, GatewayConfigError } from './compile.js';
export type { CompiledGateway } from './compiled.js';
export { GatewayConfigFileError, parseGatewayConfigJson } from './config-json.js';
export { Gateway, type GatewayConfigSource, type GatewayOptions } from './gateway.js';
export { gatewayTls } from './native-tls.js';
export { type RunGatewayOptions, type RunningGateway, runGateway } from './run-gateway.js';
