/**
 * plotHistory: the training curves of a History as SVG (or PNG through the resvg rasterizer),
 * one panel per metric with the training series and its val_ series as one line each, because
 * people look at these rather than read them. Drawn by hand: a few polylines need no layout engine.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { checkOptions, optionKeys } from '../strict-options.js';
import { svgToPng } from './rasterize.js';

/** What plotHistory reads: fit()'s History, or any { history } record of per-epoch values. */
export interface HistoryLike {
  readonly history: Readonly<Record<string, readonly number[]>>;
  readonly epoch?: readonly number[];
  readonly epochsOf?: Readonly<Record<string, readonly number[]>>;
}

export interface PlotHistoryOptions {
  /** .svg or .png; without it nothing is written and only the SVG text is returned. */
  readonly toFile?: string;
  /** The metrics to draw (names without val_: 'loss', 'accuracy'); default every one in the history. */
  readonly metrics?: readonly string[];
}

const PLOT_HISTORY_OPTIONS = optionKeys<PlotHistoryOptions>({ toFile: true, metrics: true });

const WIDTH = 640, PANEL = 220, MARGIN = { left: 64, right: 150, top: 30, bottom: 36 };
const COLORS = { train: '#1f77b4', val: '#ff7f0e' };

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A short tick label: 4 significant digits, no float noise. */
function tick(v: number): string {
  return Number(v.toPrecision(4)).toString();
}

interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
}

function seriesOf(h: HistoryLike, key: string, color: string): Series | undefined {
  const values = h.history[key];
  if (values === undefined) return undefined;
  const epochs = h.epochsOf?.[key] ?? (values.length === h.epoch?.length ? h.epoch : values.map((_, i) => i));
  const points = values.flatMap((v, i) => (Number.isFinite(v) ? [[epochs[i] + 1, v] as const] : []));
  return { name: key, points, color };
}

function panel(metric: string, series: readonly Series[], top: number, epochs: readonly [number, number]): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right, plotH = PANEL - MARGIN.top - MARGIN.bottom;
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  let [lo, hi] = ys.length > 0 ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const [e0, e1] = epochs[0] === epochs[1] ? [epochs[0] - 0.5, epochs[1] + 0.5] : epochs;
  const px = (e: number) => MARGIN.left + ((e - e0) / (e1 - e0)) * plotW;
  const py = (v: number) => top + MARGIN.top + (1 - (v - lo) / (hi - lo)) * plotH;
  const parts: string[] = [`<g class="panel" data-metric="${escapeXml(metric)}">`];
  parts.push(`<text x="${MARGIN.left}" y="${top + 18}" font-size="14" font-weight="bold">${escapeXml(metric)}</text>`);
  parts.push(`<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const v of [lo, (lo + hi) / 2, hi]) {
    parts.push(`<text x="${MARGIN.left - 6}" y="${py(v) + 4}" font-size="11" text-anchor="end">${tick(v)}</text>`);
  }
  const epochTicks = e1 - e0 <= 10 ? Array.from({ length: Math.floor(epochs[1]) - Math.ceil(epochs[0]) + 1 }, (_, i) => Math.ceil(epochs[0]) + i) : [epochs[0], Math.round((epochs[0] + epochs[1]) / 2), epochs[1]];
  for (const e of epochTicks) parts.push(`<text x="${px(e)}" y="${top + PANEL - MARGIN.bottom + 16}" font-size="11" text-anchor="middle">${e}</text>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${top + PANEL - 4}" font-size="11" text-anchor="middle">epoch</text>`);
  series.forEach((s, i) => {
    const pts = s.points.map(([e, v]) => `${px(e).toFixed(2)},${py(v).toFixed(2)}`).join(' ');
    parts.push(`<polyline class="series" data-series="${escapeXml(s.name)}" fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
    for (const [e, v] of s.points) parts.push(`<circle cx="${px(e).toFixed(2)}" cy="${py(v).toFixed(2)}" r="2.5" fill="${s.color}"/>`);
    const ly = top + MARGIN.top + 14 + i * 18;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 12}" y1="${ly - 4}" x2="${WIDTH - MARGIN.right + 32}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 38}" y="${ly}" font-size="12">${escapeXml(s.name)}</text>`);
  });
  parts.push('</g>');
  return parts.join('\n');
}

/** The SVG of the training curves; also written to `toFile` (.svg, or .png rasterized from it). */
export async function plotHistory(history: HistoryLike, options: PlotHistoryOptions = {}): Promise<string> {
  checkOptions(options, PLOT_HISTORY_OPTIONS, 'plotHistory');
  if (typeof history !== 'object' || history === null || typeof history.history !== 'object' || history.history === null) {
    throw new Error('plotHistory: expected the History fit() returns (an object with a history record of per-epoch values)');
  }
  const keys = Object.keys(history.history);
  const available = [...new Set(keys.map((k) => (k.startsWith('val_') ? k.slice(4) : k)))];
  if (available.length === 0) throw new Error('plotHistory: the history is empty; train for at least one epoch');
  const metrics = options.metrics ?? available;
  if (!Array.isArray(metrics) || metrics.length === 0) throw new Error('plotHistory: metrics must be a non-empty array of metric names');
  for (const m of metrics) {
    if (!available.includes(m)) throw new Error(`plotHistory: no metric '${String(m)}' in the history; it has ${available.map((a) => `'${a}'`).join(', ')}`);
  }
  const ext = options.toFile === undefined ? undefined : extname(options.toFile).toLowerCase();
  if (ext !== undefined && ext !== '.svg' && ext !== '.png') {
    throw new Error(`plotHistory: cannot write ${JSON.stringify(options.toFile)}: unsupported extension ${JSON.stringify(ext || '(none)')}; supported: .svg, .png`);
  }
  const perMetric = metrics.map((m) => [seriesOf(history, m, COLORS.train), seriesOf(history, `val_${m}`, COLORS.val)].filter((s): s is Series => s !== undefined));
  const allEpochs = perMetric.flat().flatMap((s) => s.points.map((p) => p[0]));
  const range: [number, number] = allEpochs.length > 0 ? [Math.min(...allEpochs), Math.max(...allEpochs)] : [1, 1];
  const height = PANEL * metrics.length;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Helvetica, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    ...metrics.map((m, i) => panel(m, perMetric[i], i * PANEL, range)),
    '</svg>',
    '',
  ].join('\n');
  if (options.toFile !== undefined) {
    await mkdir(dirname(options.toFile), { recursive: true });
    await writeFile(options.toFile, ext === '.png' ? await svgToPng(svg, 96) : svg);
  }
  return svg;
}
