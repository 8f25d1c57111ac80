/** @weft/core: pure logic shared by every weft component. */

export {
  type Attempt,
  Balancer,
  type BalancerAlgorithm,
  type BalancerOptions,
  type EndpointInput,
} from './balancer/balancer.js';
export { type AttemptResult, EndpointLoad, type PeakEwmaOptions } from './balancer/endpoint-load.js';
export { type CostFn, leastRequestCost, P2cPicker, peakEwmaCost } from './balancer/p2c.js';
export type {
  BalancedEndpoint,
  Picker,
  PickerContext,
  PickFailure,
  PickResult,
  SnapshotEndpoint,
} from './balancer/picker.js';
export { RoundRobinPicker } from './balancer/round-robin.js';
export { type SlowStartOptions, warmUpFactor } from './balancer/slow-start.js';
export {
  type AcquireResult,
  type LimitRejection,
  type Permit,
  RequestLimiter,
  type RequestLimits,
} from './circuit/request-limiter.js';
export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.js';
export {
  describeError,
  isWeftError,
  WeftError,
  type WeftErrorCode,
  type WeftErrorOptions,
} from './errors.js';
export { modifiableHeader, UNMODIFIABLE_HEADERS } from './http/header-modifiers.js';
export {
  type BackslashAction,
  DEFAULT_PATH_NORMALIZATION,
  type EscapedSlashAction,
  type ForwardedPath,
  forwardedTarget,
  type NormalizedTarget,
  normalizeRequestTarget,
  type PathNormalizationOptions,
  type RequestTargetOptions,
  type RequestTargetRejection,
  removeDotSegments,
} from './http/request-target.js';
export {
  type OutlierDetectionOptions,
  OutlierDetector,
  type OutlierEvent,
} from './outlier/outlier-detector.js';
export { jitter, type Random, seededRandom, systemRandom } from './random.js';
export { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from './retry/backoff.js';
export { MAX_RETRY_BODY_BYTES, ReplayBuffer } from './retry/replay-buffer.js';
export { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetOptions } from './retry/retry-budget.js';
export {
  type AttemptPicker,
  attemptResultOf,
  type RetryHost,
  RetryLoop,
  type RetryLoopOptions,
  type RetryLoopResult,
  type RetryLoopSettings,
  type RetryResult,
  runWithRetries,
  type SentAttempt,
} from './retry/retry-loop.js';
export {
  ATTEMPT_HEADER,
  type AttemptOutcome,
  compileRetryPolicy,
  decideRetry,
  isIdempotent,
  isRetryableOutcome,
  type RetryConditions,
  type RetryDecision,
  type RetryPolicy,
  type RetryRequest,
  type RetryStopReason,
} from './retry/retry-policy.js';
export { type AttemptTimer, attemptTimer, type TimeoutKind, timeoutMessage } from './retry/timeouts.js';
export {
  type CompiledMatch,
  compileMatch,
  ParsedRequest,
  pathMatches,
  prefixCovers,
  type RouteRequest,
  restMatches,
  routeRequest,
} from './routing/request-match.js';
export { matchLinear, type RouteDecision, RouteTable } from './routing/route-table.js';
export {
  checkRegexComplexity,
  compileSafeRegex,
  MAX_REGEX_INPUT,
  MAX_REGEX_LENGTH,
  safeRegexTest,
  UnsafeRegexError,
} from './routing/safe-regex.js';
export { SIDECAR_V8_FLAGS, sidecarNodeOptions } from './sidecar-runtime.js';
export {
  formatSpiffeId,
  parseSpiffeId,
  type SpiffeId,
  type SpiffeIdError,
  type SpiffeIdResult,
  spiffeIdToString,
} from './spiffe-id.js';
export { type Weighted, WeightedChoice } from './split/weighted-choice.js';
export {
  backendName,
  DEFAULT_RETRY,
  DEFAULT_TRAFFIC_POLICY,
  durationMs,
  matchFromProto,
  type ResolvedTrafficPolicy,
  retryFromProto,
  routesFromDestination,
  trafficPolicyFromProto,
} from './traffic/destination-config.js';
export {
  type DestinationPlan,
  type PlannedRoute,
  planDestination,
  type Selection,
} from './traffic/destination-plan.js';
