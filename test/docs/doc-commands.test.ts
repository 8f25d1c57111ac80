// The extraction of docs commands and markers (pure).
import { describe, expect, it } from 'vitest';
import { commandPathOf, docSteps, flagsOf, weftCommand } from './doc-commands.js';

describe('docSteps', () => {
  it('reads weft commands from shell fences, with markers and files', () => {
    const md = [
      'Intro `weft up` in prose is not a command.',
      '```sh',
      'npm start',
      'weft identity create-ca --identity-dir ./id   # a comment',
      '$ weft install | kubectl apply -f -',
      '```',
      '<!-- docs-test: file mesh/a.yaml -->',
      '```yaml',
      'kind: Service',
      '```',
      '<!-- docs-test: flags-only: needs a Kubernetes cluster -->',
      '```bash',
      'weft check --pre \\',
      '  --context x',
      '```',
      '```yaml',
      'weft: not a command',
      '```',
    ].join('\n');
    const steps = docSteps('d.md', md);
    expect(
      steps.map((s) => (s.type === 'file' ? `file ${s.path}` : `${s.mode.type} ${s.argv.join(' ')}`)),
    ).toEqual([
      'run weft identity create-ca --identity-dir ./id',
      'run weft install',
      'file mesh/a.yaml',
      'flags-only weft check --pre --context x',
    ]);
    expect(steps[0]).toMatchObject({ line: 4 });
  });

  it('rejects a marker it does not know', () => {
    expect(() => docSteps('d.md', '<!-- docs-test: skip -->\n```sh\nweft up\n```')).toThrow(
      'unknown docs-test marker',
    );
  });

  it('splits words and flags', () => {
    expect(weftCommand(`npx weft stat -n shop -o json > out.json`)).toEqual([
      'weft',
      'stat',
      '-n',
      'shop',
      '-o',
      'json',
    ]);
    expect(weftCommand('kubectl get pods')).toBeUndefined();
    expect(flagsOf(['weft', 'stat', '--window=0', '-n', 'x'])).toEqual(['--window', '-n']);
    expect(commandPathOf(['weft', 'identity', 'create-ca', '--identity-dir', 'x'])).toEqual([
      'identity',
      'create-ca',
    ]);
  });
});
