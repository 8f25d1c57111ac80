/** `weft inject -f FILE|-`: offline injection of workload manifests, for `kubectl apply -f -`. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@weft/api';
import type { InjectorConfig } from '@weft/injector';
import type { Command } from 'commander';
import { Document, parseAllDocuments } from 'yaml';
import {
  injectorSettingsFromFlags,
  readMeshConfig,
  type SettingsFlags,
  settingsOptions,
} from '../cli-kit/injector-settings.js';
import type { CliIo } from '../cli-kit/io.js';
import { jsonList, manifestOutputOption } from '../cli-kit/output.js';

interface InjectFlags extends SettingsFlags {
  filename: string;
  namespace: string;
  meshConfig?: string;
  output: 'yaml' | 'json';
}

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Injects every document of a multi-document YAML text; returns the output text and notes. */
export async function injectYaml(
  text: string,
  config: InjectorConfig,
  defaultNamespace: string,
): Promise<{ output: string; notes: string[] }> {
  // Loaded on use, so that other commands start without the injector's dependencies.
  const { injectManifest } = await import('@weft/injector');
  const docs = parseAllDocuments(text);
  const out: string[] = [];
  const notes: string[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      throw new Error(`document ${index + 1}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    }
    const object: unknown = doc.toJS();
    if (object === null || object === undefined) return;
    const result = injectManifest(object, config, { defaultNamespace, requested: true });
    for (const entry of result.entries) {
      const r = entry.result;
      notes.push(
        r.type === 'inject'
          ? `${entry.resource}: injected\n`
          : `${entry.resource}: not injected (${r.reason.code}: ${r.reason.message})\n`,
      );
    }
    const rendered = result.changed
      ? new Document(result.object).toString({ lineWidth: 0 })
      : doc.toString({ lineWidth: 0 });
    out.push(rendered.replace(/^---\n/, ''));
  });
  return { output: out.map((d) => (d.endsWith('\n') ? d : `${d}\n`)).join('---\n'), notes };
}

export function registerInject(program: Command, io: CliIo): void {
  const command = program
    .command('inject')
    .description('add the weft sidecar to the pods of Kubernetes manifests (Pods, Deployments, ... , Lists)')
    .requiredOption('-f, --filename <file>', 'a YAML or JSON manifest file, or - for standard input')
    .option('-n, --namespace <ns>', 'the namespace of objects that name none', 'default')
    .option('--mesh-config <file>', 'the mesh config (YAML or JSON)')
    .addOption(manifestOutputOption());
  settingsOptions(command).action(async (flags: InjectFlags, cmd: Command) => {
    const { parseInjectorConfig } = await import('@weft/injector');
    let config: InjectorConfig;
    try {
      config = parseInjectorConfig(
        { mesh: await readMeshConfig(flags.meshConfig), injector: await injectorSettingsFromFlags(flags) },
        'weft inject',
      );
    } catch (err) {
      if (err instanceof ConfigError) cmd.error(err.message, { exitCode: 2, code: 'weft.usage' });
      throw err;
    }
    const text = await readInput(flags.filename);
    const { output, notes } = await injectYaml(text, config, flags.namespace);
    io.stdout(
      flags.output === 'json'
        ? jsonList(
            parseAllDocuments(output)
              .map((d) => d.toJS() as unknown)
              .filter((o) => o != null),
          )
        : output,
    );
    for (const note of notes) io.stderr(note);
  });
}
