/** Where a command writes: stdout and stderr, injected so tests capture them. */
import { colourEnabled } from './colour.js';

/** Where a command writes its output; injected so tests can capture it. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr may be coloured (a TTY without NO_COLOR); false when absent. */
  colour?: boolean;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  colour: colourEnabled(process.stderr),
};
