/**
 * The gateway part of the mesh model: it re-translates when an input changed, keeps each
 * class's GatewayConfig with a content version, and reports which resources' wanted status
 * changed since the last translation, and which Ingresses' problems changed. Certificate checks are cached by content, so a
 * re-translation caused by an unrelated Service does not parse every certificate again.
 */
import { createHash } from 'node:crypto';
import type { GatewayConfig } from '@weft/api';
import { contentVersion } from '../model/content-version.js';
import { type ResourceRef, refKey } from '../sources/config-source.js';
import { type CertificateCheck, checkCertificate } from './certificates.js';
import type { GatewayStatusDoc, GatewayStatusEntry } from './gateway-status.js';
import type { IngressProblem } from './ingress.js';
import { type GatewayInputs, translateGateways } from './translate.js';

/** One resource whose wanted status changed; `status` undefined: weft no longer has a say (clear ours). */
export interface GatewayStatusChange {
  readonly ref: ResourceRef;
  readonly status: GatewayStatusDoc | undefined;
}

/**
 * An Ingress whose set of problems changed: `problems` is the whole current set (empty: every
 * problem is gone or the Ingress is), `added` the ones not in the previous set.
 */
export interface IngressProblemChange {
  readonly ref: ResourceRef;
  readonly problems: readonly IngressProblem[];
  readonly added: readonly IngressProblem[];
}

const problemKey = (p: IngressProblem) => `${p.reason}\n${p.message}`;

export class GatewayModel {
  private configs = new Map<string, { message: GatewayConfig; version: string }>();
  private statuses = new Map<string, { entry: GatewayStatusEntry; json: string }>();
  private certChecks = new Map<string, CertificateCheck>();
  private ingressProblems = new Map<
    string,
    { ref: ResourceRef; keys: Set<string>; problems: readonly IngressProblem[] }
  >();
  private translated = false;

  /** True once anything was translated (a mesh without gateway resources never pays for it). */
  get active(): boolean {
    return this.translated;
  }

  /**
   * Translates `inputs` (without its certificate check, which the model supplies and caches)
   * and returns the status changes and whether any class's config changed.
   */
  update(
    inputs: Omit<GatewayInputs, 'checkCertificate'>,
    /** A resource's metadata.generation: a new generation is written again (observedGeneration). */
    generationOf: (ref: ResourceRef) => number | undefined = () => undefined,
  ): {
    statuses: GatewayStatusChange[];
    configChanged: boolean;
    ingressProblems: IngressProblemChange[];
  } {
    this.translated = true;
    const used = new Map<string, CertificateCheck>();
    const t = translateGateways({
      ...inputs,
      checkCertificate: (chain, key) => {
        const digest = createHash('sha256').update(chain).update('\0').update(key).digest('base64url');
        const check = this.certChecks.get(digest) ?? checkCertificate(chain, key);
        used.set(digest, check);
        return check;
      },
    });
    this.certChecks = used;
    let configChanged = false;
    const configs = new Map<string, { message: GatewayConfig; version: string }>();
    for (const [name, message] of t.configs) {
      const version = contentVersion(message);
      if (this.configs.get(name)?.version !== version) configChanged = true;
      configs.set(name, { message, version });
    }
    if (configs.size !== this.configs.size) configChanged = true;
    this.configs = configs;
    const statuses = new Map<string, { entry: GatewayStatusEntry; json: string }>();
    const changes: GatewayStatusChange[] = [];
    for (const entry of t.statuses) {
      const key = refKey(entry.ref);
      const json = JSON.stringify([generationOf(entry.ref), entry.status]);
      statuses.set(key, { entry, json });
      if (this.statuses.get(key)?.json !== json) changes.push({ ref: entry.ref, status: entry.status });
    }
    for (const [key, old] of this.statuses)
      if (!statuses.has(key)) changes.push({ ref: old.entry.ref, status: undefined });
    this.statuses = statuses;
    return { statuses: changes, configChanged, ingressProblems: this.diffIngressProblems(t.ingressProblems) };
  }

  /** The Ingresses whose problem set differs from the last translation's (unchanged ones are not repeated). */
  private diffIngressProblems(all: readonly IngressProblem[]): IngressProblemChange[] {
    const byIngress = new Map<string, { ref: ResourceRef; problems: IngressProblem[] }>();
    for (const p of all) {
      const key = refKey(p.ref);
      const entry = byIngress.get(key) ?? { ref: p.ref, problems: [] };
      if (!entry.problems.some((q) => problemKey(q) === problemKey(p))) entry.problems.push(p);
      byIngress.set(key, entry);
    }
    const changes: IngressProblemChange[] = [];
    const next = new Map<
      string,
      { ref: ResourceRef; keys: Set<string>; problems: readonly IngressProblem[] }
    >();
    for (const [key, { ref, problems }] of byIngress) {
      const keys = new Set(problems.map(problemKey));
      next.set(key, { ref, keys, problems });
      const old = this.ingressProblems.get(key)?.keys ?? new Set<string>();
      if (old.size !== keys.size || [...keys].some((k) => !old.has(k)))
        changes.push({ ref, problems, added: problems.filter((p) => !old.has(problemKey(p))) });
    }
    for (const [key, { ref }] of this.ingressProblems)
      if (!next.has(key)) changes.push({ ref, problems: [], added: [] });
    this.ingressProblems = next;
    return changes;
  }

  /** The GatewayConfig of `className` (empty when nothing of that class exists). */
  config(className: string): { message: GatewayConfig; version: string } {
    return (
      this.configs.get(className) ?? {
        message: { listeners: [] },
        version: contentVersion({ listeners: [] }),
      }
    );
  }

  /** The wanted status of `ref`, if weft has one. */
  status(ref: ResourceRef): GatewayStatusDoc | undefined {
    return this.statuses.get(refKey(ref))?.entry.status;
  }

  /** Every resource's wanted status (a new leader writes them all). */
  allStatuses(): GatewayStatusChange[] {
    return [...this.statuses.values()].map(({ entry }) => ({ ref: entry.ref, status: entry.status }));
  }

  /**
   * Every Ingress's current problems, as changes that add them all: a new leader reports them,
   * since the old one may have died before writing their Events (an Event already written has
   * the same name and is not written twice).
   */
  allIngressProblems(): IngressProblemChange[] {
    return [...this.ingressProblems.values()].map(({ ref, problems }) => ({
      ref,
      problems,
      added: problems,
    }));
  }

  /** Class names with a config, for /debug/state. */
  classNames(): string[] {
    return [...this.configs.keys()];
  }
}
