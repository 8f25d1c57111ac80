/**
 * The one output option of every command that prints a resource: `-o table|json|yaml`.
 * `table` is the human form; `view` and `text`, its old names, are still accepted (hidden).
 */
import { InvalidArgumentError, Option } from 'commander';
import { stringify as toYaml } from 'yaml';

/** The formats `-o` takes. */
export type OutputFormat = 'table' | 'json' | 'yaml';

const ALIASES: Record<string, OutputFormat> = { view: 'table', text: 'table' };

/** Parses a `-o` value; old names map to `table`. */
export function parseOutputFormat(value: string, allowed: readonly OutputFormat[] = FORMATS): OutputFormat {
  const format = (ALIASES[value] ?? value) as OutputFormat;
  if (!allowed.includes(format)) {
    throw new InvalidArgumentError(`must be ${allowed.join(', ')} (not "${value}")`);
  }
  return format;
}

const FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

/** The `-o, --output` option; `allowed` narrows it for commands that stream (no yaml). */
export function outputOption(
  allowed: readonly OutputFormat[] = FORMATS,
  description = `output format: ${allowed.join(', ')}`,
): Option {
  return new Option('-o, --output <format>', description)
    .default('table')
    .argParser((value) => parseOutputFormat(value, allowed));
}

/**
 * Renders `value` as `format`. Undefined fields become null in JSON and YAML so that a missing
 * measurement is visible rather than absent.
 */
export function renderAs(format: OutputFormat, value: unknown, table: () => string): string {
  if (format === 'table') return table();
  const plain: unknown = JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (v === undefined ? null : v)),
  );
  if (format === 'json') return `${JSON.stringify(plain, null, 2)}\n`;
  return toYaml(plain, { lineWidth: 0 });
}

/** The output option of commands that print Kubernetes manifests: a YAML stream, or a JSON List. */
export function manifestOutputOption(): Option {
  return new Option('-o, --output <format>', 'yaml (a stream, for kubectl) or json (a v1 List)')
    .choices(['yaml', 'json'])
    .default('yaml');
}

/** `objects` as one JSON `v1 List`, which kubectl apply/delete -f accepts like a YAML stream. */
export function jsonList(objects: readonly unknown[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
}
