/**
 * The loops over streamed batches: a training epoch, an evaluation pass and prediction. Each
 * batch is checked, fed into the cached program of its size and run; logs accumulate as they do
 * for in-memory data, so the same batches give the same numbers either way.
 */
import { concrete, type DType } from '../../ir/types.js';
import { getSession } from '../backend.js';
import { Tensor, type TensorData } from '../tensor.js';
import { BatchFeeder } from './batches.js';
import { identityOrder } from './data.js';
import type { Dataset } from './evaluate.js';
import { LogAccumulator } from './logs.js';
import { stepProgram, sigsOf, type GraphKind, type StepProgram } from './programs.js';
import { batchDataset, type BatchReader, type StreamBatch } from './stream.js';
import type { Logs, TrainableModel } from './types.js';

const orders = new Map<number, Int32Array>();
function orderOf(n: number): Int32Array {
  let o = orders.get(n);
  if (o === undefined) orders.set(n, (o = identityOrder(n)));
  return o;
}

/** The program for a batch, fed and ready to run. */
export function feedBatch(model: TrainableModel, kind: GraphKind, data: Dataset, training: boolean): StepProgram {
  const step = stepProgram(getSession(), model, kind, data.n, training, sigsOf(data.xs), sigsOf(data.ys), sigsOf(data.ws));
  const order = orderOf(data.n);
  new BatchFeeder(data.xs).feed(step, order, 0);
  new BatchFeeder(data.ys).feed(step, order, 0, data.xs.length);
  new BatchFeeder(data.ws).feed(step, order, 0, data.xs.length + data.ys.length);
  return step;
}

/**
 * Keeps every batch of a pass consistent with the first: sample weights in all or none (the
 * programs and the weighted metrics' counts differ), so a stray batch is an error, not a mix.
 */
export class BatchShapeGuard {
  private weighted?: boolean;
  check(data: Dataset, what: string): void {
    const weighted = data.ws.length > 0;
    if (this.weighted === undefined) this.weighted = weighted;
    else if (this.weighted !== weighted) {
      throw new Error(`${what}: ${weighted ? 'has sample weights but the first batch had none' : 'has no sample weights but the first batch had them'}; every batch must be [x, y] or every batch [x, y, sampleWeight]`);
    }
  }
}

/** Names a batch in messages: 'fit (batch 3 of epoch 2)'. */
export function batchLabel(fn: string, index: number, epoch?: number): string {
  return `${fn} (batch ${index + 1}${epoch === undefined ? '' : ` of epoch ${epoch + 1}`})`;
}

/** One evaluation pass over a stream: `steps` batches, or to the end. */
export async function evaluateStreamPass(model: TrainableModel, reader: BatchReader, steps: number | undefined, training: boolean, fn: string, onBatchEnd?: (step: number, logs: Logs) => void, prefix = ''): Promise<Logs> {
  const session = getSession();
  reader.beginPass();
  const guard = new BatchShapeGuard();
  let acc: LogAccumulator | undefined;
  let step = 0;
  for (; steps === undefined || step < steps; step++) {
    const batch = await reader.next(steps === undefined || step + 1 < steps);
    if (batch === undefined) break;
    const what = batchLabel(fn, step);
    const data = batchDataset(model, batch, what, true);
    guard.check(data, what);
    const p = feedBatch(model, 'evaluate', data, training);
    session.run(p.program);
    acc ??= new LogAccumulator(p.entries);
    acc.add(p);
    onBatchEnd?.(step, acc.logs(prefix));
  }
  if (acc === undefined) throw new Error(`${fn}: the data yielded no batches${steps === undefined ? '' : ` (expected ${steps})`}`);
  if (steps !== undefined && step < steps) console.warn(`${fn}: your input ran out of data after ${step} of ${steps} steps; the values are over the batches read.`);
  return acc.logs(prefix);
}

/** Predictions over a stream, gathered into one tensor per output. */
export async function predictStreamPass(model: TrainableModel, reader: BatchReader, steps: number | undefined, fn: string, onBatch: (step: number) => void): Promise<Tensor | Tensor[]> {
  const session = getSession();
  reader.beginPass();
  const chunks: { data: TensorData[]; n: number }[] = [];
  let shapes: number[][] | undefined;
  let dtypes: DType[] = [];
  let step = 0;
  for (; steps === undefined || step < steps; step++) {
    const batch: StreamBatch | undefined = await reader.next(steps === undefined || step + 1 < steps);
    if (batch === undefined) break;
    const data = batchDataset(model, batch, batchLabel(fn, step), false);
    const p = feedBatch(model, 'predict', { ...data, ys: [], ws: [] }, session.learningPhase === 1);
    session.run(p.program);
    const outs = p.program.spec.graph.outputs;
    shapes ??= outs.map((o) => concrete(o.shape, 'predict output').slice(1));
    dtypes = outs.map((o) => o.dtype);
    chunks.push({ data: outs.map((_, i) => p.program.output(i).slice() as TensorData), n: data.n });
    onBatch(step);
  }
  if (shapes === undefined) throw new Error(`${fn}: the data yielded no batches`);
  const total = chunks.reduce((s, c) => s + c.n, 0);
  const tensors = shapes.map((sample, i) => {
    const first = chunks[0].data[i];
    const out = new (first.constructor as new (n: number) => TensorData)(total * sample.reduce((a, d) => a * d, 1));
    let at = 0;
    for (const c of chunks) {
      (out as Float32Array).set(c.data[i] as Float32Array, at);
      at += c.data[i].length;
    }
    return new Tensor(out, [total, ...sample], dtypes[i]);
  });
  return tensors.length === 1 ? tensors[0] : tensors;
}
