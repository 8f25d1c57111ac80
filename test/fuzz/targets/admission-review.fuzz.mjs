// Fuzz target: the injector's AdmissionReview handler (the function behind `POST /inject`), fed
// arbitrary bodies. An input starting with '{' is the body as is (JSON reviews mutated from the seed
// corpus); any other input drives a builder that assembles a well-formed review of a pod with
// fuzz-chosen annotations, containers, ports and request fields, so the fuzzer gets past JSON syntax
// to the injection logic.
//
// Invariants: the answer is 400 with a reason code, or 200 with an AdmissionReview whose response
// echoes the request's uid and allows the pod; never 500 (the handler turns a thrown bug into 500);
// a patch is base64 JSON Patch that applies cleanly to the pod it was computed for.
import { createRequire } from 'node:module';
import fastJsonPatch from 'fast-json-patch';
import { systemClock } from '../../../packages/core/dist/index.js';
import { InjectorMetrics } from '../../../packages/injector/dist/metrics.js';
import { createReviewHandler } from '../../../packages/injector/dist/review-handler.js';
import { parseInjectorConfig } from '../../../packages/injector/dist/settings.js';
import { silentLogger } from '../../../packages/runtime/dist/index.js';
import { check } from './invariant.mjs';

export const meta = {
  description: 'AdmissionReview body -> review handler -> answer (+ patch applies)',
  includes: ['packages/injector/dist/'],
  // The handler builds objects from untrusted JSON: watch for Object.prototype pollution.
  bugDetectors: ['prototype-pollution'],
};

const NAMESPACES = {
  shop: { name: 'shop', annotations: { 'weft.dev/inject': 'enabled' } },
  plain: { name: 'plain', annotations: {} },
};
const handler = createReviewHandler({
  config: parseInjectorConfig({ injector: { image: 'weft:fuzz', version: 'fuzz' } }),
  namespaces: {
    async get(name) {
      const namespace = NAMESPACES[name];
      return namespace === undefined
        ? { type: 'unknown', message: `namespace ${name} not found` }
        : { type: 'found', namespace, source: 'cache' };
    },
  },
  metrics: new InjectorMetrics(),
  logger: silentLogger(),
  clock: systemClock,
});

function requestOf(data) {
  try {
    return JSON.parse(data.toString('utf8')).request;
  } catch {
    return undefined;
  }
}

// The provider is plain JS; requiring it directly keeps the fuzzer addon out of vitest replays.
const { FuzzedDataProvider } = createRequire(import.meta.url)('@jazzer.js/core/dist/FuzzedDataProvider.js');
const ANNOTATIONS = [
  'weft.dev/inject',
  'weft.dev/proxy-cpu',
  'weft.dev/proxy-memory',
  'weft.dev/skip-inbound-ports',
  'weft.dev/skip-outbound-ports',
  'weft.dev/skip-outbound-cidrs',
  'weft.dev/opaque-ports',
  'weft.dev/inbound-policy',
  'weft.dev/trace-endpoint',
  'weft.dev/trace-protocol',
  'weft.dev/trace-sampling',
  'weft.dev/injected-version',
  'weft.dev/trust-anchors',
  'kubectl.kubernetes.io/default-container',
  'sidecar.istio.io/inject',
  'linkerd.io/inject',
];
const VALUES = [
  'enabled',
  'disabled',
  '',
  '100m',
  '1.5',
  '-1',
  '64Mi',
  '1e3Gi',
  '80,443',
  '1-65535',
  '70000',
  '9090-9080',
  '10.0.0.0/8',
  '::/0',
  '300.1.1.1/40',
  'deny',
  'allow-all',
  'allow-authenticated',
  'http://127.0.0.1:4318',
  'grpc',
  'http/protobuf',
  '0.5',
  'NaN',
  'web',
];

function text(p, max) {
  return p.consumeBoolean() ? p.consumeString(max, 'utf-8') : p.pickValue(VALUES);
}

/** False (the usual, valid choice) for a 0 bit, so an all-zero input is a pod that gets injected. */
function odd(p) {
  return p.consumeBoolean();
}

function container(p, fallback) {
  const ports = [];
  for (let i = p.consumeIntegralInRange(0, 3); i > 0; i--) {
    ports.push({
      containerPort: odd(p) ? p.consumeIntegralInRange(-2, 70000) : p.pickValue([8080, 80, 7143, 7191, 9090]),
      ...(odd(p) ? { protocol: p.pickValue(['UDP', 'TCP', 'SCTP', 'tcp']) } : {}),
      ...(odd(p) ? { name: text(p, 16) } : {}),
    });
  }
  const name = odd(p) ? p.pickValue(['weft-proxy', 'weft-init', 'app', text(p, 12)]) : fallback;
  return { name, image: 'x', ports };
}

/** A well-formed AdmissionReview whose pod and request fields come from the fuzz input. */
export function buildReview(data) {
  const p = new FuzzedDataProvider(data);
  const annotations = odd(p) ? {} : { 'weft.dev/inject': 'enabled' };
  for (let i = p.consumeIntegralInRange(0, 6); i > 0; i--) {
    annotations[odd(p) ? text(p, 24) : p.pickValue(ANNOTATIONS)] = text(p, 48);
  }
  const containers = [];
  for (let i = p.consumeIntegralInRange(1, 3); i > 0; i--) containers.push(container(p, `app-${i}`));
  const initContainers = [];
  for (let i = p.consumeIntegralInRange(0, 2); i > 0; i--) initContainers.push(container(p, `init-${i}`));
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: text(p, 20),
      ...(odd(p) ? { namespace: p.pickValue(['shop', 'plain', 'kube-system']) } : {}),
      labels: { app: text(p, 20) },
      annotations,
    },
    spec: {
      ...(odd(p) ? { serviceAccountName: text(p, 20) } : {}),
      ...(odd(p) ? { hostNetwork: p.consumeBoolean() } : {}),
      containers,
      ...(initContainers.length > 0 ? { initContainers } : {}),
    },
  };
  return {
    apiVersion: p.pickValue(['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']),
    kind: 'AdmissionReview',
    request: {
      uid: odd(p) ? text(p, 8) : 'u',
      kind: { group: odd(p) ? 'apps' : '', version: 'v1', kind: odd(p) ? 'Job' : 'Pod' },
      ...(odd(p) ? { namespace: p.pickValue(['shop', 'plain', 'unknown']) } : {}),
      operation: p.pickValue(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
      ...(odd(p) ? { subResource: 'status' } : {}),
      dryRun: p.consumeBoolean(),
      object: odd(p) ? text(p, 8) : pod,
    },
  };
}

export async function fuzz(data) {
  const body = data.length > 0 && data[0] === 0x7b ? data : Buffer.from(JSON.stringify(buildReview(data)));
  await checkAnswer(body);
}

async function checkAnswer(data) {
  const answer = await handler.review(data);
  check(answer.status !== 500, () => `the handler failed: ${JSON.stringify(answer.body)}`);
  if (answer.status === 400) {
    check(
      typeof answer.body.reason === 'string' && typeof answer.body.message === 'string',
      '400 without reason',
    );
    return;
  }
  check(answer.status === 200, () => `unexpected status ${answer.status}`);
  const request = requestOf(data);
  const response = answer.body.response;
  check(answer.body.kind === 'AdmissionReview', 'answer is not an AdmissionReview');
  check(response.uid === request.uid, 'response uid differs from the request uid');
  check(response.allowed === true, 'the injector must never deny a pod');
  if (response.patch === undefined) return;
  check(response.patchType === 'JSONPatch', 'patch without patchType JSONPatch');
  const patch = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  const pod = structuredClone(request.object);
  const errors = fastJsonPatch.validate(patch, pod);
  check(errors === undefined, () => `patch does not apply: ${errors?.message}`);
  fastJsonPatch.applyPatch(pod, patch, true, true);
}
