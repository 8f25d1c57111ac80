// Fuzz target: the injector's AdmissionReview handler (the function behind `POST /inject`), fed
// arbitrary bodies — mostly JSON reviews mutated from the seed corpus.
//
// Invariants: the answer is 400 with a reason code, or 200 with an AdmissionReview whose response
// echoes the request's uid and allows the pod; never 500 (the handler turns a thrown bug into 500);
// a patch is base64 JSON Patch that applies cleanly to the pod it was computed for.
import fastJsonPatch from 'fast-json-patch';
import { silentLogger, systemClock } from '../../../packages/core/dist/index.js';
import { InjectorMetrics } from '../../../packages/injector/dist/metrics.js';
import { createReviewHandler } from '../../../packages/injector/dist/review-handler.js';
import { parseInjectorConfig } from '../../../packages/injector/dist/settings.js';
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

export async function fuzz(data) {
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
