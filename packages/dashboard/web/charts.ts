/**
 * Time-series charts with uPlot (~50 KB minified, no dependencies, canvas): one per metric, a
 * series per route or backend. Colours come from CSS variables so both themes stay readable.
 */
import uPlot from 'uplot';
import { h } from './dom.js';

export interface Series {
  readonly label: string;
  /** One value per timestamp (null: no data then). */
  readonly values: ReadonlyArray<number | null>;
}

const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** A chart of `series` over `times` (Unix ms), titled; a figure with a caption for screen readers. */
export function chart(
  title: string,
  unit: string,
  times: readonly number[],
  series: readonly Series[],
): HTMLElement {
  const holder = h('div', { class: 'chart-canvas' });
  const last = series.map((s) => `${s.label}: ${s.values.at(-1)?.toFixed(2) ?? '–'} ${unit}`).join(', ');
  const fig = h(
    'figure',
    { class: 'chart', 'aria-label': `${title}: ${last}` },
    h('figcaption', {}, `${title} (${unit})`),
    holder,
  );
  if (times.length < 2) {
    holder.append(h('p', { class: 'muted' }, 'collecting… (a point every 2 s)'));
    return fig;
  }
  const axis = {
    stroke: cssVar('--fg-muted'),
    grid: { stroke: cssVar('--grid') },
    ticks: { stroke: cssVar('--grid') },
  };
  const opts: uPlot.Options = {
    width: 420,
    height: 180,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [axis, { ...axis, size: 56 }],
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        stroke: cssVar(PALETTE[i % PALETTE.length] ?? '--c1'),
        width: 2,
        spanGaps: false,
      })),
    ],
  };
  const data: uPlot.AlignedData = [
    times.map((t) => t / 1000),
    ...series.map((s) => [...s.values]),
  ] as uPlot.AlignedData;
  // uPlot measures its container: build it once the figure is in the document.
  queueMicrotask(() => {
    new uPlot(opts, data, holder);
  });
  return fig;
}
