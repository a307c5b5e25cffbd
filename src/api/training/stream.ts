/**
 * Streamed data: fit/evaluate/predict on a sync or async iterable (or a function returning one,
 * called afresh for each pass) of batches, for data that does not fit in memory. A batch is
 * `[x, y]`, `[x, y, sampleWeight]` or `{ x, y, sampleWeight }` (TF.js's `{ xs, ys }` too); for
 * predict, `x` alone (a Tensor), `[x]` or `{ x }`. Each batch runs the cached program of its
 * size, the same program in-memory data of that batch size runs.
 */
import { isTensor } from '../tensor.js';
import type { DataLike, TrainableModel } from './types.js';
import { prepareDataset, type Dataset } from './evaluate.js';
import { checkInputShapes, toTensors } from './data.js';

/** One batch as a stream yields it. */
export type StreamBatch =
  | readonly [DataLike]
  | readonly [DataLike, DataLike]
  | readonly [DataLike, DataLike, DataLike]
  | { readonly x?: DataLike; readonly y?: DataLike; readonly sampleWeight?: DataLike; readonly xs?: DataLike; readonly ys?: DataLike }
  | DataLike;

type AnyIterable = Iterable<StreamBatch> | AsyncIterable<StreamBatch>;

/** An iterable of batches, or a function returning one (a generator function), called once per pass. */
export type BatchSource = AnyIterable | (() => AnyIterable);

function isIterableObject(x: unknown): x is AnyIterable {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x) || isTensor(x)) return false;
  return typeof (x as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function' || typeof (x as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}

/** True for what fit/evaluate/predict take as streamed data rather than in-memory arrays. */
export function isBatchSource(x: unknown): x is BatchSource {
  return typeof x === 'function' || isIterableObject(x);
}

type Iter = Iterator<StreamBatch> | AsyncIterator<StreamBatch>;

function open(source: BatchSource, fn: string): { it: Iter; async: boolean } {
  const iterable = typeof source === 'function' ? source() : source;
  if (!isIterableObject(iterable)) throw new Error(`${fn}: the data function must return an iterable or async iterable of batches (a generator), got ${iterable === null ? 'null' : typeof iterable}`);
  const asyncOpen = (iterable as Partial<AsyncIterable<StreamBatch>>)[Symbol.asyncIterator];
  if (typeof asyncOpen === 'function') return { it: asyncOpen.call(iterable), async: true };
  return { it: (iterable as Iterable<StreamBatch>)[Symbol.iterator](), async: false };
}

/**
 * Reads batches from a source. 'perPass' opens the source afresh for every pass (an epoch runs
 * until it is exhausted); 'continuous' keeps one iterator for the whole run (stepsPerEpoch
 * batches an epoch, as Keras does with a generator). From an async source the next batch is
 * requested before the current one is used, so its I/O proceeds while the step computes.
 */
export class BatchReader {
  private it?: Iter;
  private async = false;
  private pending?: Promise<IteratorResult<StreamBatch>>;
  private exhausted = false;
  /** Batches read so far in the current pass, for messages. */
  index = 0;

  constructor(private readonly source: BatchSource, private readonly mode: 'perPass' | 'continuous', private readonly fn: string) {}

  beginPass(): void {
    this.index = 0;
    if (this.it !== undefined && this.mode === 'continuous') return;
    ({ it: this.it, async: this.async } = open(this.source, this.fn));
    this.pending = undefined;
    this.exhausted = false;
  }

  /** The next batch, or undefined at the end. `prefetch` asks for the one after it now (async sources). */
  async next(prefetch: boolean): Promise<StreamBatch | undefined> {
    if (this.it === undefined) this.beginPass();
    if (this.exhausted) return undefined;
    const it = this.it!;
    const result = this.pending ?? it.next();
    this.pending = undefined;
    const r = await result;
    if (r.done === true) {
      this.exhausted = true;
      return undefined;
    }
    if (prefetch && this.async) {
      const p = Promise.resolve(it.next());
      // The rejection is reported when the batch is awaited; until then it is not "unhandled".
      p.catch(() => undefined);
      this.pending = p;
    }
    this.index++;
    return r.value;
  }
}

const BATCH_KEYS = ['x', 'y', 'sampleWeight', 'xs', 'ys'];

function isRecordBatch(b: unknown): b is Exclude<StreamBatch, readonly unknown[]> & { x?: DataLike; y?: DataLike; sampleWeight?: DataLike; xs?: DataLike; ys?: DataLike } {
  return typeof b === 'object' && b !== null && !Array.isArray(b) && !isTensor(b) && !ArrayBuffer.isView(b);
}

/** The x, y and sampleWeight parts of a yielded batch. */
export function splitBatch(batch: StreamBatch, what: string, needY: boolean): { x: DataLike; y?: DataLike; w?: DataLike } {
  if (Array.isArray(batch)) {
    const parts = batch as readonly DataLike[];
    if (parts.length < 1 || parts.length > 3) throw new Error(`${what}: a batch must be [x, y] or [x, y, sampleWeight], got an array of ${parts.length}`);
    if (needY && parts.length < 2) throw new Error(`${what}: a batch must be [x, y] or [x, y, sampleWeight]; this one has no y`);
    return { x: parts[0], y: parts[1], w: parts[2] };
  }
  if (isTensor(batch)) {
    if (needY) throw new Error(`${what}: a batch must be [x, y] or [x, y, sampleWeight], got a single Tensor`);
    return { x: batch };
  }
  if (isRecordBatch(batch)) {
    const unknown = Object.keys(batch).filter((k) => !BATCH_KEYS.includes(k));
    if (unknown.length > 0) throw new Error(`${what}: unknown key(s) ${unknown.map((k) => `'${k}'`).join(', ')} in a batch; expected { x, y, sampleWeight }`);
    const x = batch.x ?? batch.xs;
    const y = batch.y ?? batch.ys;
    if (x === undefined) throw new Error(`${what}: a batch record needs x (or xs)`);
    if (needY && y === undefined) throw new Error(`${what}: a batch record needs y (or ys)`);
    return { x, y, w: batch.sampleWeight };
  }
  throw new Error(`${what}: a batch must be [x, y], [x, y, sampleWeight] or { x, y }, got ${batch === null ? 'null' : typeof batch}`);
}

/** A yielded batch as checked tensors; `fn` names the call and the batch in messages. */
export function batchDataset(model: TrainableModel, batch: StreamBatch, fn: string, needY: true): Dataset;
export function batchDataset(model: TrainableModel, batch: StreamBatch, fn: string, needY: false): Dataset;
export function batchDataset(model: TrainableModel, batch: StreamBatch, fn: string, needY: boolean): Dataset {
  const { x, y, w } = splitBatch(batch, fn, needY);
  if (y === undefined) {
    const xs = toTensors(x, model.inputNames, model.inputDtypes, 'x', fn);
    checkInputShapes(xs, model.inputNames, model.inputShapes, model.name, fn);
    const n = xs[0].shape[0];
    if (xs.some((t) => t.shape[0] !== n)) throw new Error(`${fn}: data cardinality is ambiguous: make sure all arrays contain the same number of samples. 'x' sizes: ${xs.map((t) => t.shape[0]).join(', ')}`);
    if (n === 0) throw new Error(`${fn}: the batch has no samples`);
    return { xs, ys: [], ws: [], n };
  }
  return prepareDataset(model, x, y, fn, w);
}

/** Checks a steps option (stepsPerEpoch, validationSteps, steps): undefined or an integer >= 1. */
export function checkSteps(name: string, steps: number | undefined, fn: string): void {
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) throw new Error(`${fn}: ${name} must be an integer >= 1, got ${String(steps)}`);
}
