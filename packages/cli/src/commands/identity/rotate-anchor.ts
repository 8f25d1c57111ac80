/**
 * `weft identity rotate-anchor`: a guided trust-anchor rotation in three steps, each run by one
 * invocation (the next step the identity calls for, unless --step names one):
 *   1. add-anchor: a new anchor joins the bundle (its key: ca-next.key in --identity-dir);
 *   2. switch-issuer: a new issuer signed by the new anchor (refused until every proxy holds the
 *      new bundle);
 *   3. remove-old-anchor: the bundle keeps only the new anchor (refused until every proxy holds a
 *      certificate from the new issuer).
 * The public material lives in the identity folder, or with --kubernetes in the Secrets the
 * control plane mounts (weft-trust-anchor, weft-issuer); anchor keys always stay in the folder.
 * Readiness comes from the control plane's /debug/identity (every replica given with --admin).
 */
import type { KeyObject } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AnchorRotationStep,
  addTrustAnchor,
  anchorRotationState,
  IDENTITY_FILES,
  type KeyAlgorithm,
  pemToDer,
  privateKeyFromPem,
  privateKeyToPem,
  type RotatableIdentity,
  removeOldAnchors,
  switchIssuer,
  TrustBundle,
} from '@weft/pki';
import type { Command } from 'commander';
import { Option } from 'commander';
import {
  describeRotation,
  fetchRotationReport,
  nextStepBlocker,
  type RotationReportView,
} from '../../check/anchor-rotation.js';
import { type ReplicaReport, replicaRotationReports } from '../../check/cluster-rotation.js';
import { kubeApis } from '../../check/kube-apis.js';
import { loadInstallLayout } from '../../check/layout.js';
import { podsLackingAnchor } from '../../check/pod-anchors.js';
import { durationArg } from '../../cli-kit/duration.js';
import type { CliIo } from '../../cli-kit/io.js';
import { findManifestsDir } from '../../install/manifests-dir.js';

/** The new anchor's private key between steps 1 and 2; the replaced anchor's key after step 2. */
export const NEXT_ANCHOR_KEY = 'ca-next.key';
export const PREVIOUS_ANCHOR_KEY = 'ca-previous.key';

type StepName = 'add-anchor' | 'switch-issuer' | 'remove-old-anchor';
const NEXT_STEP: Record<AnchorRotationStep, StepName | undefined> = {
  steady: 'add-anchor',
  'anchor-added': 'switch-issuer',
  'issuer-switched': 'remove-old-anchor',
  unknown: undefined,
};

/** Where the public half of the identity is kept. */
interface IdentityStore {
  readonly description: string;
  read(): Promise<RotatableIdentity>;
  write(next: RotatableIdentity): Promise<void>;
  /** Kubernetes: meshed pods whose trust-anchors annotation lacks `fingerprint` (step 3 waits for none). */
  podsLacking?(fingerprint: string): Promise<string[]>;
}

function folderStore(dir: string): IdentityStore {
  const path = (name: string) => join(dir, name);
  return {
    description: `the identity folder ${dir}`,
    async read() {
      const [anchorsPem, issuerCertPem, issuerKeyPem] = await Promise.all(
        [IDENTITY_FILES.anchorCert, IDENTITY_FILES.issuerCert, IDENTITY_FILES.issuerKey].map((n) =>
          readFile(path(n), 'utf8'),
        ),
      );
      return { anchorsPem, issuerCertPem, issuerKeyPem } as RotatableIdentity;
    },
    async write(next) {
      const old = await this.read();
      // The key before its certificate: the control plane's reload waits out the brief mismatch.
      if (next.issuerKeyPem !== old.issuerKeyPem)
        await replaceFile(path(IDENTITY_FILES.issuerKey), next.issuerKeyPem, 0o600);
      if (next.issuerCertPem !== old.issuerCertPem)
        await replaceFile(path(IDENTITY_FILES.issuerCert), next.issuerCertPem, 0o644);
      if (next.anchorsPem !== old.anchorsPem)
        await replaceFile(path(IDENTITY_FILES.anchorCert), next.anchorsPem, 0o644);
    },
  };
}

/** The Secrets of install/identity: weft-trust-anchor (ca.crt) and weft-issuer (tls.crt, tls.key, ca.crt). */
async function secretStore(options: { kubeconfig?: string; namespace: string }): Promise<IdentityStore> {
  const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (options.kubeconfig === undefined) kc.loadFromDefault();
  else kc.loadFromFile(options.kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  const namespace = options.namespace;
  const get = (name: string) => api.readNamespacedSecret({ name, namespace });
  const text = (data: Record<string, string> | undefined, key: string, secret: string): string => {
    const v = data?.[key];
    if (v === undefined) throw new Error(`Secret ${namespace}/${secret} has no ${key}`);
    return Buffer.from(v, 'base64').toString('utf8');
  };
  return {
    description: `the Secrets weft-trust-anchor and weft-issuer in ${namespace}`,
    async podsLacking(fingerprint) {
      const { ANNOTATION_TRUST_ANCHORS } = await import('@weft/injector');
      const lacking: string[] = [];
      let next: string | undefined;
      do {
        const page = await api.listPodForAllNamespaces({ limit: 500, ...(next ? { _continue: next } : {}) });
        lacking.push(...podsLackingAnchor(page.items, ANNOTATION_TRUST_ANCHORS, fingerprint));
        next = page.metadata?._continue;
      } while (next);
      return lacking;
    },
    async read() {
      const [anchor, issuer] = await Promise.all([get('weft-trust-anchor'), get('weft-issuer')]);
      return {
        anchorsPem: text(anchor.data, 'ca.crt', 'weft-trust-anchor'),
        issuerCertPem: text(issuer.data, 'tls.crt', 'weft-issuer'),
        issuerKeyPem: text(issuer.data, 'tls.key', 'weft-issuer'),
      };
    },
    async write(next) {
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      // Replace (not patch) with the resourceVersion read: a concurrent edit fails with 409.
      const issuer = await get('weft-issuer');
      issuer.data = {
        ...issuer.data,
        'tls.crt': b64(next.issuerCertPem),
        'tls.key': b64(next.issuerKeyPem),
        'ca.crt': b64(next.anchorsPem),
      };
      await api.replaceNamespacedSecret({ name: 'weft-issuer', namespace, body: issuer });
      const anchor = await get('weft-trust-anchor');
      anchor.data = { ...anchor.data, 'ca.crt': b64(next.anchorsPem) };
      await api.replaceNamespacedSecret({ name: 'weft-trust-anchor', namespace, body: anchor });
    },
  };
}

/** The control plane's replicas' rotation reports through the API server (`--kubernetes` without `--admin`). */
async function kubernetesReplicaReports(flags: RotateAnchorFlags): Promise<ReplicaReport[]> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (flags.kubeconfig === undefined) kc.loadFromDefault();
  else kc.loadFromFile(flags.kubeconfig);
  const manifests = findManifestsDir();
  if (manifests === undefined) throw new Error('cannot find the install/ manifests next to this weft');
  const layout = loadInstallLayout(manifests);
  return replicaRotationReports(kubeApis(kc, flags.timeout), {
    ...layout.controlPlane,
    namespace: flags.namespace,
  });
}

async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

interface RotateAnchorFlags {
  identityDir: string;
  kubernetes?: boolean;
  kubeconfig?: string;
  namespace: string;
  admin: string[];
  step?: StepName;
  status?: boolean;
  anchorValidity: number;
  issuerValidity: number;
  keyAlgorithm: KeyAlgorithm;
  timeout: number;
}

/** Registers `weft identity rotate-anchor` under `identity`. */
export function registerRotateAnchor(identity: Command, io: CliIo): void {
  identity
    .command('rotate-anchor')
    .description(
      'rotate the trust anchor in three steps (add the new anchor; switch the issuer; remove the old anchor), one step per run',
    )
    .requiredOption(
      '--identity-dir <dir>',
      'the identity folder (holds ca.key and the new anchor key ca-next.key)',
    )
    .option('--kubernetes', 'change the Secrets weft-trust-anchor and weft-issuer instead of the folder')
    .option(
      '--kubeconfig <path>',
      'with --kubernetes: the kubeconfig (default: KUBECONFIG or ~/.kube/config)',
    )
    .option('--namespace <ns>', "with --kubernetes: weft's namespace", 'weft-system')
    .option(
      '--admin <url>',
      "a control plane replica's admin address (repeat for every replica; default with --kubernetes: every replica, through the API server)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addOption(
      new Option('--step <step>', 'run this step (default: the next one)').choices([
        'add-anchor',
        'switch-issuer',
        'remove-old-anchor',
      ]),
    )
    .option('--status', 'only report the step the mesh is on')
    .addOption(
      new Option('--anchor-validity <duration>', 'new trust anchor lifetime')
        .argParser(durationArg)
        .default(durationArg('10y'), '10y'),
    )
    .addOption(
      new Option('--issuer-validity <duration>', 'new issuer lifetime')
        .argParser(durationArg)
        .default(durationArg('1y'), '1y'),
    )
    .addOption(
      new Option('--key-algorithm <alg>', 'key algorithm of new keys')
        .choices(['ecdsa-p256', 'rsa-2048'])
        .default('ecdsa-p256'),
    )
    .addOption(
      new Option('--timeout <duration>', 'per request to the control plane')
        .argParser(durationArg)
        .default(5000, '5s'),
    )
    .action(async (flags: RotateAnchorFlags, cmd: Command) => {
      const store = flags.kubernetes
        ? await secretStore({ kubeconfig: flags.kubeconfig, namespace: flags.namespace })
        : folderStore(flags.identityDir);
      const admins = flags.admin.length > 0 ? flags.admin : ['http://127.0.0.1:7990'];
      const current = await store.read();
      const state = anchorRotationState(
        TrustBundle.fromPem(current.anchorsPem),
        pemToDer(current.issuerCertPem, 'CERTIFICATE'),
      );
      const reports: Array<{ admin: string; report: RotationReportView | undefined; error?: string }> = [];
      if (flags.kubernetes && flags.admin.length === 0) {
        // Every replica behind the control plane Service, each through the API server's pod proxy.
        for (const r of await kubernetesReplicaReports(flags)) {
          reports.push({
            admin: `pod ${r.replica}`,
            report: r.report,
            ...(r.error === undefined ? {} : { error: r.error }),
          });
        }
        if (reports.length === 0)
          reports.push({
            admin: `${flags.namespace}/weft-control-plane`,
            report: undefined,
            error: 'no ready replica behind the Service',
          });
      } else {
        for (const admin of admins) {
          try {
            reports.push({ admin, report: await fetchRotationReport(admin, flags.timeout) });
          } catch (err) {
            reports.push({ admin, report: undefined, error: (err as Error).message });
          }
        }
      }
      for (const r of reports) {
        io.stdout(
          r.report === undefined
            ? `${r.admin}: ${r.error ?? 'serves no /debug/identity'}\n`
            : `${r.admin}:\n${indent(describeRotation(r.report))}\n`,
        );
      }
      if (flags.status) return;
      const step = flags.step ?? NEXT_STEP[state.step];
      const refuse = (why: string): never =>
        cmd.error(`weft identity rotate-anchor: ${step ?? 'no step'} refused: ${why}`, {
          exitCode: 1,
          code: 'weft.rotate-anchor.refused',
        });
      if (step === undefined) return refuse(state.next);
      if (step !== 'add-anchor') {
        // Every replica must have loaded what the store holds, and its proxies must be ready.
        for (const r of reports) {
          if (r.report === undefined) refuse(`${r.admin}: ${r.error ?? 'no rotation report'}`);
          const report = r.report as RotationReportView;
          if (report.step !== state.step || report.issuer.fingerprint !== state.issuer.fingerprint)
            refuse(
              `${r.admin} has not loaded ${store.description} yet (it is at ${report.step}); wait and retry`,
            );
          const blocker = nextStepBlocker(report);
          if (blocker !== undefined) refuse(`${r.admin}: ${blocker}`);
        }
      }
      if (step === 'remove-old-anchor' && store.podsLacking !== undefined) {
        const signer = state.anchors.find((a) => a.signsIssuer);
        const lacking = signer === undefined ? [] : await store.podsLacking(signer.fingerprint);
        if (lacking.length > 0) {
          refuse(
            `${lacking.length} meshed pods were injected before the new anchor (their proxies could not reach the control plane after a restart): ${lacking.slice(0, 10).join(', ')}${lacking.length > 10 ? ', …' : ''}; roll them first (kubectl rollout restart)`,
          );
        }
      }
      const keyPath = (name: string) => join(flags.identityDir, name);
      const algorithm = flags.keyAlgorithm;
      if (step === 'add-anchor') {
        const { identity, anchorKey } = addTrustAnchor(current, {
          validityMs: flags.anchorValidity,
          keyAlgorithm: algorithm,
        });
        await writeKey(keyPath(NEXT_ANCHOR_KEY), anchorKey);
        await store.write(identity);
        io.stdout(
          `step 1 of 3 done: a new trust anchor is in ${store.description}; its key is ${keyPath(NEXT_ANCHOR_KEY)}\n` +
            'proxies pick up the new bundle within seconds; run this command again to switch the issuer\n',
        );
      } else if (step === 'switch-issuer') {
        const anchorKey = privateKeyFromPem(await readFile(keyPath(NEXT_ANCHOR_KEY), 'utf8'));
        const next = switchIssuer(current, {
          anchorKey,
          validityMs: flags.issuerValidity,
          keyAlgorithm: algorithm,
        });
        await store.write(next);
        await rename(keyPath(IDENTITY_FILES.anchorKey), keyPath(PREVIOUS_ANCHOR_KEY)).catch(() => undefined);
        await rename(keyPath(NEXT_ANCHOR_KEY), keyPath(IDENTITY_FILES.anchorKey));
        io.stdout(
          `step 2 of 3 done: the issuer in ${store.description} is signed by the new anchor (its key is now ${keyPath(IDENTITY_FILES.anchorKey)})\n` +
            'proxies renew within seconds; run this command again to remove the old anchor\n',
        );
      } else {
        await store.write(removeOldAnchors(current));
        io.stdout(
          `step 3 of 3 done: ${store.description} trusts only the new anchor\n` +
            `the old anchor's key ${keyPath(PREVIOUS_ANCHOR_KEY)} is no longer needed: destroy it\n`,
        );
      }
    });
}

async function writeKey(path: string, key: KeyObject): Promise<void> {
  await writeFile(path, privateKeyToPem(key), { mode: 0o600, flag: 'wx' }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST')
        throw new Error(`${path} exists: a new anchor key is already waiting (step 2?)`);
      throw err;
    },
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
