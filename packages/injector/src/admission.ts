/** AdmissionReview (admission.k8s.io v1 and v1beta1): reading requests, writing responses. */
import { z } from 'zod';
import type { PatchOperation } from './json-patch.js';

export const ADMISSION_GROUP = 'admission.k8s.io';
export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof ADMISSION_VERSIONS)[number];

/** Why a request is answered 400. */
export type BadReviewCode =
  | 'not-json'
  | 'too-large'
  | 'unreadable-body'
  | 'wrong-version'
  | 'wrong-kind'
  | 'missing-request'
  | 'missing-uid'
  | 'invalid-request';

const requestSchema = z.looseObject({
  uid: z.string().min(1),
  kind: z.looseObject({ group: z.string().default(''), version: z.string().default(''), kind: z.string() }),
  namespace: z.string().optional(),
  name: z.string().optional(),
  operation: z.string().optional(),
  subResource: z.string().optional(),
  dryRun: z.boolean().optional(),
  object: z.unknown().optional(),
});

/** The fields of an AdmissionRequest the injector uses. */
export type AdmissionRequest = z.output<typeof requestSchema>;

export type ParsedReview =
  | { readonly type: 'ok'; readonly apiVersion: AdmissionApiVersion; readonly request: AdmissionRequest }
  | { readonly type: 'bad'; readonly code: BadReviewCode; readonly message: string };

function bad(code: BadReviewCode, message: string): ParsedReview {
  return { type: 'bad', code, message };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a request body; every way it can be wrong has its own code and a precise message. */
export function parseAdmissionReview(body: Buffer | string): ParsedReview {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (err) {
    return bad('not-json', `the body is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(json)) return bad('wrong-kind', 'the body must be a JSON object of kind AdmissionReview');
  if (json.kind !== 'AdmissionReview') {
    return bad('wrong-kind', `kind must be AdmissionReview, not ${JSON.stringify(json.kind ?? null)}`);
  }
  const apiVersion = ADMISSION_VERSIONS.find((v) => v === json.apiVersion);
  if (apiVersion === undefined) {
    return bad(
      'wrong-version',
      `apiVersion must be one of ${ADMISSION_VERSIONS.join(', ')}, not ${JSON.stringify(json.apiVersion ?? null)}`,
    );
  }
  if (!isRecord(json.request)) return bad('missing-request', 'request is missing');
  if (typeof json.request.uid !== 'string' || json.request.uid === '') {
    return bad('missing-uid', 'request.uid is missing or empty');
  }
  const parsed = requestSchema.safeParse(json.request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return bad('invalid-request', `request.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return { type: 'ok', apiVersion, request: parsed.data };
}

/** What the injector answers; always `allowed: true` — the mesh never blocks a pod. */
export interface ReviewAnswer {
  readonly patch?: readonly PatchOperation[];
  readonly warnings?: readonly string[];
  readonly auditAnnotations?: Readonly<Record<string, string>>;
}

/** Builds the AdmissionReview response in the version of the request. */
export function admissionResponse(
  apiVersion: AdmissionApiVersion,
  uid: string,
  answer: ReviewAnswer,
): unknown {
  const response: Record<string, unknown> = { uid, allowed: true };
  if (answer.patch !== undefined && answer.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(answer.patch)).toString('base64');
  }
  if (answer.warnings !== undefined && answer.warnings.length > 0) response.warnings = [...answer.warnings];
  if (answer.auditAnnotations !== undefined) response.auditAnnotations = { ...answer.auditAnnotations };
  return { apiVersion, kind: 'AdmissionReview', response };
}
