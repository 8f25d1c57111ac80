/** The injector's Prometheus metrics, registered on a registry the caller owns (never the global one). */
import { Counter, Histogram, Registry } from 'prom-client';

/** Every metric the injector exports; created once per server and passed down. */
export class InjectorMetrics {
  readonly registry: Registry;
  /** Reviews answered, by outcome (`injected`, `skipped`, `ignored`), reason code and dry run. */
  readonly reviews: Counter<'outcome' | 'reason' | 'dry_run'>;
  /** Requests answered 400 (or 500), by reason. */
  readonly badRequests: Counter<'reason'>;
  readonly reviewDuration: Histogram;
  /** Where a namespace's annotations came from: `cache`, `api`, or `unknown`. */
  readonly namespaceLookups: Counter<'source'>;
  /** Namespace informer restarts after a watch or list error. */
  readonly informerRestarts: Counter;
  /** Serving certificate reloads, by result (`ok`, `error`). */
  readonly tlsReloads: Counter<'result'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.reviews = new Counter({
      name: 'weft_injector_reviews_total',
      help: 'AdmissionReviews answered, by outcome and reason',
      labelNames: ['outcome', 'reason', 'dry_run'],
      registers,
    });
    this.badRequests = new Counter({
      name: 'weft_injector_bad_requests_total',
      help: 'Requests that were not a valid AdmissionReview, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.reviewDuration = new Histogram({
      name: 'weft_injector_review_duration_seconds',
      help: 'Time to answer one AdmissionReview',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    });
    this.namespaceLookups = new Counter({
      name: 'weft_injector_namespace_lookups_total',
      help: 'Namespace lookups by source (cache, api, unknown)',
      labelNames: ['source'],
      registers,
    });
    this.informerRestarts = new Counter({
      name: 'weft_injector_informer_restarts_total',
      help: 'Namespace informer restarts after errors',
      registers,
    });
    this.tlsReloads = new Counter({
      name: 'weft_injector_tls_reloads_total',
      help: 'Serving certificate reloads by result',
      labelNames: ['result'],
      registers,
    });
  }
}
