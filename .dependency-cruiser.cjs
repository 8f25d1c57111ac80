/**
 * weft's dependency rules, checked by dependency-cruiser (test/architecture/dependencies.test.ts
 * runs it, so `npm test` enforces them; by hand: `npx depcruise packages test`).
 *
 * The package graph (docs/architecture.md, "Packages"):
 *
 *   api <- core <- {pki, runtime}; {api, core, pki, runtime} <- {control-plane, injector, proxy};
 *   {api, core, runtime} <- {proxy-init, dashboard}; cli -> all.
 *
 * Besides the arrows: no package reaches into another's files (only `@weft/<name>` and the
 * subpaths its package.json exports, such as `@weft/proxy/testing`), core holds no I/O, the CLI's
 * commands never import each other, and no module imports itself through a cycle, type-only
 * imports included (a cycle of types is still a cycle of concepts).
 */

/** `packages/<name>/` for each name: the start of a path rule. */
const pkg = (...names) => `^packages/(${names.join('|')})/`;

/** Every package's allowed `@weft/*` dependencies (itself included). */
const ALLOWED = {
  api: ['api'],
  core: ['api', 'core'],
  pki: ['api', 'core', 'pki'],
  runtime: ['api', 'core', 'runtime'],
  'control-plane': ['api', 'core', 'pki', 'runtime', 'control-plane'],
  injector: ['api', 'core', 'pki', 'runtime', 'injector'],
  proxy: ['api', 'core', 'pki', 'runtime', 'proxy'],
  'proxy-init': ['api', 'core', 'runtime', 'proxy-init'],
  dashboard: ['api', 'core', 'runtime', 'dashboard'],
};

/** Node modules that do I/O: none of them belongs in core (pure logic) or api (types and schemas). */
const IO_MODULES = [
  'child_process',
  'dgram',
  'dns',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'tls',
  'worker_threads',
];

/** Libraries that do I/O, likewise. */
const IO_LIBRARIES = [
  'pino',
  '@opentelemetry/sdk-[^/]+',
  '@opentelemetry/exporter-[^/]+',
  '@kubernetes/client-node',
  'express',
  '@grpc/grpc-js',
];

/** Tests, and api's generated gRPC stubs and proto loader (they describe the wire, they open nothing). */
const PURE_EXEMPT = ['\\.test\\.ts$', '^packages/api/src/(gen/|proto\\.ts$)'];

const arrowRules = Object.entries(ALLOWED).map(([name, allowed]) => ({
  name: `arrows-${name}`,
  comment: `${name} may depend on ${allowed.filter((a) => a !== name).join(', ') || 'no other weft package'} only (docs/architecture.md, "Packages")`,
  severity: 'error',
  from: name === 'dashboard' ? { path: pkg(name), pathNot: '^packages/dashboard/web/' } : { path: pkg(name) },
  to: { path: '^packages/[^/]+/', pathNot: pkg(...allowed) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Modules form no import cycle, inside a package or across packages, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...arrowRules,
    {
      name: 'dashboard-web-types-only',
      comment:
        "The dashboard's page takes the control plane's snapshot types from its public entry and nothing else (web/types.ts re-exports them with `export type`, which the bundle erases)",
      severity: 'error',
      from: { path: '^packages/dashboard/web/' },
      to: {
        path: '^packages/[^/]+/',
        pathNot: ['^packages/dashboard/', '^packages/control-plane/src/index\\.ts$'],
      },
    },
    {
      name: 'no-reaching-into-another-package',
      comment:
        "Import another package by its name (@weft/x, or a subpath its package.json exports), never by a path into its folder: tests use the package's ./testing export",
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: {
        path: '^packages/',
        pathNot: ['^packages/$1/'],
        dependencyTypes: ['local'],
        dependencyTypesNot: ['aliased-workspace'],
      },
    },
    {
      name: 'tests-through-entry-points',
      comment:
        'Cross-package tests in test/ import packages by name (@weft/x, @weft/x/testing), never a path into packages/',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^packages/', dependencyTypes: ['local'], dependencyTypesNot: ['aliased-workspace'] },
    },
    {
      name: 'core-and-api-hold-no-io',
      comment:
        'core is pure logic and api types and schemas: I/O (sockets, files, processes) lives in runtime or the binaries',
      severity: 'error',
      from: { path: '^packages/(api|core)/src/', pathNot: PURE_EXEMPT },
      to: { dependencyTypes: ['core'], path: `^(node:)?(${IO_MODULES.join('|')})$` },
    },
    {
      name: 'core-and-api-use-no-io-library',
      comment: 'core and api use no logging, telemetry SDK, Kubernetes, HTTP-server or gRPC library',
      severity: 'error',
      from: { path: '^packages/(api|core)/src/', pathNot: PURE_EXEMPT },
      to: { path: `node_modules/(${IO_LIBRARIES.join('|')})/` },
    },
    {
      name: 'cli-commands-stand-alone',
      comment:
        'A CLI command never imports another command nor program.ts: what two commands share lives in cli-kit/ or a topic folder (up/, check/, dashboard/)',
      severity: 'error',
      from: { path: '^packages/cli/src/commands/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^packages/cli/src/commands/[^/]+\\.ts$', '^packages/cli/src/program\\.ts$'] },
    },
    {
      name: 'cli-kit-below-commands',
      comment: 'cli-kit/ is what commands share: it imports no command and not program.ts',
      severity: 'error',
      from: { path: '^packages/cli/src/cli-kit/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^packages/cli/src/commands/', '^packages/cli/src/program\\.ts$'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (an @weft subpath that the package does not export does not)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^(bun:|virtual:)' },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '(^|/)web-dist/', '^test/fixtures/', '^test/fuzz/corpus'] },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['weft-source', 'types', 'import', 'node', 'default'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
