/** The webhook's handler: an AdmissionReview body in, an HTTP status and JSON body out. No sockets here. */

import { type Clock, describeError } from '@weft/core';
import type { Logger } from '@weft/runtime';
import {
  admissionResponse,
  type BadReviewCode,
  parseAdmissionReview,
  type ReviewAnswer,
} from './admission.js';
import { injectPod } from './inject-pod.js';
import type { InjectorMetrics } from './metrics.js';
import type { NamespaceInfo } from './pod.js';
import type { InjectorConfig } from './settings.js';

/** Where a namespace's annotations came from. */
export type NamespaceLookupResult =
  | { readonly type: 'found'; readonly namespace: NamespaceInfo; readonly source: 'cache' | 'api' }
  | { readonly type: 'unknown'; readonly message: string };

/**
 * Finds a namespace's annotations. Called by the review handler once per review; owns its
 * cache and its API client. Never throws: failures are `unknown` with a message.
 */
export interface NamespaceLookup {
  get(name: string): Promise<NamespaceLookupResult>;
}

/** A handler's answer: the HTTP status and the JSON body. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface ReviewHandlerOptions {
  /** The config, or a function read per review (the trust anchors reload during a rotation). */
  readonly config: InjectorConfig | (() => InjectorConfig);
  readonly namespaces: NamespaceLookup;
  readonly metrics: InjectorMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The handler of `POST /inject`, plus the answer for bodies that never reached it (too large). */
export interface ReviewHandler {
  review(body: Buffer): Promise<HttpAnswer>;
  badRequest(code: BadReviewCode, message: string): HttpAnswer;
}

/** Creates the review handler. It never throws; a bug becomes a 500 with a JSON reason, counted. */
export function createReviewHandler(options: ReviewHandlerOptions): ReviewHandler {
  const { config, namespaces, metrics, logger, clock } = options;

  const badRequest = (code: BadReviewCode, message: string): HttpAnswer => {
    metrics.badRequests.inc({ reason: code });
    logger.debug({ reason: code, message }, 'bad admission request');
    return { status: 400, body: { reason: code, message } };
  };

  const answer = async (body: Buffer): Promise<HttpAnswer> => {
    const parsed = parseAdmissionReview(body);
    if (parsed.type === 'bad') return badRequest(parsed.code, parsed.message);
    const { apiVersion, request } = parsed;
    const dryRun = request.dryRun === true ? 'true' : 'false';
    const reply = (a: ReviewAnswer): HttpAnswer => ({
      status: 200,
      body: admissionResponse(apiVersion, request.uid, a),
    });

    const isPodCreate =
      request.kind.group === '' &&
      request.kind.kind === 'Pod' &&
      (request.operation ?? 'CREATE') === 'CREATE' &&
      (request.subResource ?? '') === '';
    if (!isPodCreate) {
      metrics.reviews.inc({ outcome: 'ignored', reason: 'not-pod-create', dry_run: dryRun });
      return reply({});
    }
    const pod = request.object as { metadata?: { namespace?: unknown } } | undefined;
    const nsName =
      request.namespace ??
      (typeof pod?.metadata?.namespace === 'string' ? pod.metadata.namespace : 'default');
    const warnings: string[] = [];
    const lookup = await namespaces.get(nsName);
    metrics.namespaceLookups.inc({ source: lookup.type === 'found' ? lookup.source : 'unknown' });
    let namespace: NamespaceInfo;
    if (lookup.type === 'found') {
      namespace = lookup.namespace;
    } else {
      namespace = { name: nsName, annotations: {} };
      warnings.push(
        `weft: namespace ${nsName} could not be read (${lookup.message}); only pod annotations were used`,
      );
    }

    const result = injectPod(request.object, namespace, typeof config === 'function' ? config() : config);
    metrics.reviews.inc({
      outcome: result.type === 'inject' ? 'injected' : 'skipped',
      reason: result.reason.code,
      dry_run: dryRun,
    });
    const audit = {
      'inject-result': result.type === 'inject' ? 'injected' : 'skipped',
      'inject-reason': result.reason.code,
    };
    if (result.type === 'inject') return reply({ patch: result.patch, warnings, auditAnnotations: audit });
    // A skip deserves a warning only when someone asked for injection; otherwise every pod of
    // every unmeshed namespace would print one.
    if (result.optedIn || result.reason.code === 'invalid-annotation') {
      warnings.push(`weft: the proxy was not injected: ${result.reason.message}`);
    }
    return reply({ warnings, auditAnnotations: audit });
  };

  return {
    badRequest,
    async review(body) {
      const started = clock.monotonic();
      try {
        return await answer(body);
      } catch (err) {
        metrics.badRequests.inc({ reason: 'internal' });
        logger.error({ err: describeError(err) }, 'review failed');
        return { status: 500, body: { reason: 'internal', message: 'the review could not be processed' } };
      } finally {
        metrics.reviewDuration.observe((clock.monotonic() - started) / 1000);
      }
    },
  };
}
