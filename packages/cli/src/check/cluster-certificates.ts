/**
 * Certificate checks in a cluster, from the objects install/ lays out: the webhook's caBundle
 * against the injector's serving certificate Secret, and the trust anchor and issuer Secrets.
 */
import type { V1Secret } from '@kubernetes/client-node';
import {
  chainProblem,
  type ExpiryPolicy,
  expiryCheck,
  parsePemCertificates,
  verifyServingChain,
} from './certificates.js';
import type { ClusterContext } from './cluster-checks.js';
import { describeKubeError, isNotFound } from './kube-apis.js';
import type { SecretRef } from './layout.js';
import { type Check, type CheckResult, fail, ok } from './result.js';

const RENEW_SERVING =
  're-issue it from the same identity folder: weft install --identity-dir DIR | kubectl apply -f - ' +
  '(or sh install/identity/injector-cert.sh DIR, then kubectl apply -k install/)';
const RENEW_ISSUER =
  'sign a new issuer with the same trust anchor and re-apply it (see docs/troubleshooting.md, Certificates)';
const RENEW_ANCHOR =
  'plan a trust anchor rotation: add the new root beside the old one in ca.crt, then move the issuer to it';

/** Reads the PEM under `ref.key` of a Secret in the control plane namespace. */
async function secretPem(ctx: ClusterContext, ref: SecretRef): Promise<string> {
  let secret: V1Secret;
  try {
    secret = await ctx.apis.core.readNamespacedSecret({ name: ref.name, namespace: ctx.layout.namespace });
  } catch (err) {
    if (isNotFound(err)) {
      throw new Error(
        `Secret ${ctx.layout.namespace}/${ref.name} does not exist; install weft with: weft install | kubectl apply -f -`,
      );
    }
    throw new Error(`reading Secret ${ctx.layout.namespace}/${ref.name}: ${describeKubeError(err)}`, {
      cause: err,
    });
  }
  const data = secret.data?.[ref.key];
  if (data === undefined || data === '') {
    throw new Error(`Secret ${ctx.layout.namespace}/${ref.name} has no "${ref.key}"`);
  }
  return Buffer.from(data, 'base64').toString('utf8');
}

/** The expiry of the certificates in one Secret. */
function secretExpiryCheck(ctx: ClusterContext, name: string, ref: SecretRef, remedy: string): Check {
  return {
    name,
    async run() {
      const certs = parsePemCertificates(await secretPem(ctx, ref), `Secret ${ref.name} ${ref.key}`);
      const policy: ExpiryPolicy = { now: ctx.now, remedy };
      return expiryCheck(name, certs, policy);
    },
  };
}

/** The trust anchor (every root in the bundle) is valid for at least 30 more days. */
export function trustAnchorCheck(ctx: ClusterContext): Check {
  return secretExpiryCheck(
    ctx,
    'trust anchor is valid for at least 30 days',
    ctx.layout.trustAnchor,
    RENEW_ANCHOR,
  );
}

/**
 * The issuer (the intermediate the control plane signs with) chains to the trust anchor
 * Secret's roots (else proxies reject every workload certificate) and is valid for at least 30
 * more days.
 */
export function issuerCheck(ctx: ClusterContext): Check {
  const signed = 'issuer certificate is signed by the trust anchor';
  const expiry = 'issuer certificate is valid for at least 30 days';
  return {
    name: signed,
    async run(): Promise<CheckResult[]> {
      const { issuer, trustAnchor } = ctx.layout;
      const chain = parsePemCertificates(await secretPem(ctx, issuer), `Secret ${issuer.name} ${issuer.key}`);
      const anchors = parsePemCertificates(await secretPem(ctx, trustAnchor), `Secret ${trustAnchor.name}`);
      const problem = chainProblem(chain.slice(0, 1), anchors, `Secret ${trustAnchor.name}`);
      const expiryResult = expiryCheck(expiry, chain.slice(0, 1), { now: ctx.now, remedy: RENEW_ISSUER });
      if (problem === undefined) return [ok(signed), expiryResult];
      return [
        fail(
          signed,
          `${problem}; re-apply the issuer and trust anchor from the same identity folder: weft install --identity-dir DIR | kubectl apply -f -`,
        ),
        expiryResult,
      ];
    },
  };
}

/**
 * The webhook works: its caBundle verifies the injector's serving chain for the service's DNS
 * name, and that certificate is valid for at least 30 more days (a failure, not a warning:
 * when it expires, pods are created without a proxy or not at all).
 */
export function webhookCertificateCheck(ctx: ClusterContext): Check {
  const trusted = "webhook caBundle verifies the injector's certificate";
  const expiry = 'webhook certificate is valid for at least 30 days';
  const { configuration, webhook, dnsName } = ctx.layout.webhook;
  return {
    name: trusted,
    async run(): Promise<CheckResult[]> {
      let caBundle: string | undefined;
      try {
        const mwc = await ctx.apis.admission.readMutatingWebhookConfiguration({ name: configuration });
        caBundle = mwc.webhooks?.find((w) => w.name === webhook)?.clientConfig.caBundle;
      } catch (err) {
        const why = isNotFound(err)
          ? `MutatingWebhookConfiguration ${configuration} does not exist; install weft with: weft install | kubectl apply -f -`
          : `reading MutatingWebhookConfiguration ${configuration}: ${describeKubeError(err)}`;
        return [fail(trusted, why)];
      }
      if (caBundle === undefined || caBundle === '') {
        return [fail(trusted, `webhook ${webhook} in ${configuration} has no caBundle; ${RENEW_SERVING}`)];
      }
      const anchors = parsePemCertificates(
        Buffer.from(caBundle, 'base64').toString('utf8'),
        'the webhook caBundle',
      );
      const chain = parsePemCertificates(
        await secretPem(ctx, ctx.layout.injectorTls),
        `Secret ${ctx.layout.injectorTls.name}`,
      );
      const verified = verifyServingChain(chain, anchors, dnsName);
      const expiryResult = expiryCheck(expiry, chain, {
        now: ctx.now,
        remedy: RENEW_SERVING,
        failInsideMargin: true,
      });
      if (verified.type === 'invalid')
        return [fail(trusted, `${verified.reason}; ${RENEW_SERVING}`), expiryResult];
      return [ok(trusted, dnsName), expiryResult];
    },
  };
}
