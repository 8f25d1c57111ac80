/** Loads weft's .proto files at runtime with @grpc/proto-loader. */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import type { ProtoGrpcType as DiscoveryGrpcType } from './gen/discovery.js';
import type { ProtoGrpcType as IdentityGrpcType } from './gen/identity.js';

/** The folder holding the .proto files (beside src/ and dist/ alike). */
export const PROTO_DIR = fileURLToPath(new URL('../proto', import.meta.url));

/** Loader options; they must match the flags in scripts/gen-proto.mjs. */
export const PROTO_LOADER_OPTIONS: Options = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let identity: IdentityGrpcType | undefined;
let discovery: DiscoveryGrpcType | undefined;

/** The Identity service's definitions (loaded once, then cached). */
export function loadIdentityProto(): IdentityGrpcType {
  identity ??= loadPackageDefinition(
    loadSync('weft/identity/v1alpha1/identity.proto', PROTO_LOADER_OPTIONS),
  ) as unknown as IdentityGrpcType;
  return identity;
}

/** The Discovery service's definitions (loaded once, then cached). */
export function loadDiscoveryProto(): DiscoveryGrpcType {
  discovery ??= loadPackageDefinition(
    loadSync('weft/discovery/v1alpha1/discovery.proto', PROTO_LOADER_OPTIONS),
  ) as unknown as DiscoveryGrpcType;
  return discovery;
}
