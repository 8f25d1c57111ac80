/** Column tables for the human output format, drawn by cli-table3 without borders (kubectl style). */
import Table from 'cli-table3';
import type { Colours } from './colour.js';

/** A table of `head` columns; every row has one cell per column. */
export interface TableSpec {
  head: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<string | number>>;
  /** Columns whose cells align right (numbers). */
  numeric?: readonly number[];
}

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** Renders `spec`, with a bold header when `colours` colour. */
export function renderTable(spec: TableSpec, colours?: Colours): string {
  const table = new Table({
    head: spec.head.map((h) => (colours ? colours.bold(h) : h)),
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colAligns: spec.head.map((_h, i) => (spec.numeric?.includes(i) ? 'right' : 'left')),
  });
  for (const row of spec.rows) table.push(row.map((cell) => String(cell)));
  // cli-table3 pads the last column too; trailing blanks are noise in a terminal and in diffs.
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
}
