/**
 * The recurrence itself, shared by SimpleRNN, LSTM, GRU and RNN(cell) (Keras 3's backend.rnn):
 * a step function run over time-major sequences, either as one `scan` whose body is the step
 * traced once (the default), or, with `unroll`, as one copy of the step per time step in the
 * graph (Keras's unroll=True, the user's opt-in: docs/ARCHITECTURE.md, "Recurrence as a scan").
 * Both paths apply the same masked-step rule, so they give the same outputs and gradients.
 * (Keras's own unrolled JAX loop departs from its scan in two corners: it ignores
 * zero_output_for_mask, and a masked first step outputs zeros rather than the initial state.
 * keras-jit keeps the scan's semantics for both, so unroll never changes a result.)
 */
import * as B from '../../../ir/build.js';
import { make, type Node } from '../../../ir/node.js';
import { scanNode } from '../../../ir/scan.js';
import { ScanBody } from '../../../ir/scan-body.js';
import * as ops from '../../ops.js';

/** One step: the step's output and its new states, from the states and each sequence's slice at this step. */
export type RecurrenceStep = (states: readonly Node[], inputs: readonly Node[]) => { readonly output: Node; readonly states: readonly Node[] };

export interface RecurrenceOptions {
  /** The layer's name, for errors and labels. */
  readonly layerName: string;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly zeroOutputForMask: boolean;
  readonly unroll: boolean;
  /** Width of the step's output (a carried previous output is shaped so). */
  readonly outputSize: number;
}

export interface RecurrenceResult {
  /** (batch, steps, out) in processing order with returnSequences, else the last output (batch, out). */
  readonly output: Node;
  readonly states: readonly Node[];
}

/** Keras's message for unroll without a known number of steps (rnn.py). */
export const UNROLL_NEEDS_STEPS = 'Cannot unroll a RNN if the time dimension is undefined. \n'
  + '- If using a Sequential model, specify the time dimension by passing an `Input()` as your first layer.\n'
  + '- If using the functional API, specify the time dimension by passing a `shape` or `batch_shape` argument to your `Input()`.';

/**
 * Keras's masked step (jax rnn, zero_output_for_mask false): a masked step keeps every state and
 * repeats the previous output; with zeroOutputForMask it outputs zeros. `carriedOut` is the
 * previous output to carry into the next step when the output is not the first state.
 */
function maskedStep(states: readonly Node[], fresh: Node, next: readonly Node[], prevOut: Node, keep: Node | undefined, zeroOutputForMask: boolean): { next: Node[]; y: Node; carriedOut: Node } {
  if (keep === undefined) return { next: [...next], y: fresh, carriedOut: fresh };
  const kept = next.map((n, i) => ops.where(keep, n, states[i]));
  const y = zeroOutputForMask ? ops.where(keep, fresh, 0) : ops.where(keep, fresh, prevOut);
  // The carried output is the last output of a kept step (what a later masked step repeats).
  return { next: kept, y, carriedOut: zeroOutputForMask ? ops.where(keep, fresh, prevOut) : y };
}

/** Slice t of a time-major sequence: (steps, batch, ...) -> (batch, ...). */
function stepSlice(seq: Node, t: number): Node {
  const begin = seq.shape.map((_, i) => (i === 0 ? t : 0));
  const end = seq.shape.map((d, i) => (i === 0 ? t + 1 : d ?? 0));
  return B.reshape(B.slice(seq, begin, end), seq.shape.slice(1));
}

/** Keras's last output with zeroOutputForMask: zero when the last processed step is masked. */
function zeroLastIfMasked(output: Node, stepMask: Node | undefined, steps: number, options: RecurrenceOptions): Node {
  if (stepMask === undefined || !options.zeroOutputForMask) return output;
  const col = options.goBackwards ? 0 : steps - 1;
  const batch = stepMask.shape[0];
  const lastKeep = B.reshape(B.slice(ops.cast(stepMask, 'float32'), [0, col], [batch ?? 0, col + 1]), [batch, 1]);
  return ops.where(ops.greater(lastKeep, 0), output, 0);
}

/**
 * Runs `step` over `sequences` (time-major, (steps, batch, ...)) from `init`. `stepMask` is the
 * (batch, steps) mask of the steps to process, if any.
 */
export function runRecurrence(step: RecurrenceStep, init: readonly Node[], sequences: readonly Node[], stepMask: Node | undefined, options: RecurrenceOptions): RecurrenceResult {
  const steps = sequences[0].shape[0];
  if (steps === null) throw new Error(options.unroll ? UNROLL_NEEDS_STEPS : `Layer "${options.layerName}": the number of time steps must be known`);
  const batch = init[0]?.shape[0] ?? sequences[0].shape[1];
  // A step mask, time-major (steps, batch, 1): one more sequence of the loop, data, not program.
  const maskSequence = stepMask === undefined ? undefined : B.reshape(B.transpose(ops.cast(stepMask, 'float32'), [1, 0]), [steps, batch, 1]);
  const run = options.unroll ? unrolled : scanned;
  const { output, states } = run(step, init, sequences, maskSequence, steps, options);
  return { output: options.returnSequences ? output : zeroLastIfMasked(output, stepMask, steps, options), states };
}

function unrolled(step: RecurrenceStep, init: readonly Node[], sequences: readonly Node[], maskSequence: Node | undefined, steps: number, options: RecurrenceOptions): RecurrenceResult {
  let states: readonly Node[] = init;
  let prevOut: Node | undefined;
  let outputCarried = false;
  const ys: Node[] = [];
  for (let i = 0; i < steps; i++) {
    const t = options.goBackwards ? steps - 1 - i : i;
    const result = step(states, sequences.map((s) => stepSlice(s, t)));
    checkStateCount(options.layerName, result.states.length, init.length);
    if (i === 0) {
      // As in the scan: a cell whose output is not its first state carries its previous output.
      outputCarried = result.output !== result.states[0];
      prevOut = outputCarried ? B.fill(0, [init[0]?.shape[0] ?? null, options.outputSize]) : undefined;
    }
    const keep = maskSequence === undefined ? undefined : stepSlice(maskSequence, t);
    const m = maskedStep(states, result.output, result.states, outputCarried ? prevOut! : states[0], keep, options.zeroOutputForMask);
    states = m.next;
    prevOut = m.carriedOut;
    if (options.returnSequences) ys.push(m.y);
  }
  // Keras stacks the outputs in processing order (last position first when going backwards).
  const output = options.returnSequences ? ops.stack(ys, 1) : outputCarried ? prevOut! : states[0];
  return { output, states };
}

function checkStateCount(layerName: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`Layer "${layerName}" (RNN): the cell returned ${got} new states, but its state_size has ${expected}`);
}

function scanned(step: RecurrenceStep, init: readonly Node[], sequences: readonly Node[], maskSequence: Node | undefined, steps: number, options: RecurrenceOptions): RecurrenceResult {
  const batch = init[0].shape[0];
  const carryParams = init.map((c, i) => B.input(`scan:carry${i}`, c.shape, c.dtype));
  const xs = maskSequence === undefined ? [...sequences] : [...sequences, maskSequence];
  const xParams = xs.map((s, i) => B.input(`scan:x${i}`, s.shape.slice(1), s.dtype));
  const keep = maskSequence === undefined ? undefined : xParams[sequences.length];
  const result = step(carryParams, xParams.slice(0, sequences.length));
  checkStateCount(options.layerName, result.states.length, init.length);
  // A cell whose output is not its first state carries its previous output as one more state:
  // the last output, and what a masked step repeats (Keras's jax rnn). Otherwise the first state is it.
  const outputCarried = result.output !== result.states[0];
  const outInit = B.fill(0, [batch, options.outputSize]);
  const prevParam = B.input(`scan:carry${init.length}`, outInit.shape, outInit.dtype);
  const m = maskedStep(carryParams, result.output, result.states, outputCarried ? prevParam : carryParams[0], keep, options.zeroOutputForMask);
  const allCarries = outputCarried ? [...carryParams, prevParam] : carryParams;
  const outs = [...m.next, ...(outputCarried ? [m.carriedOut] : []), ...(options.returnSequences ? [m.y] : [])];
  const lifted = new Map<Node, Node<'input'>>();
  const bodyOuts = liftFreeSources(outs, new Set<Node>([...allCarries, ...xParams]), lifted);
  const body = new ScanBody([...allCarries, ...xParams, ...lifted.values()], bodyOuts);
  const out = scanNode(body, [...init, ...(outputCarried ? [outInit] : []), ...xs, ...lifted.keys()], allCarries.length, xs.length, steps, options.goBackwards, true);
  let output: Node;
  if (options.returnSequences) {
    let seq = out.ys[0];
    // Keras returns a backwards layer's outputs in the order it processed them: last position first.
    if (options.goBackwards) seq = B.gather(seq, B.subtract(steps - 1, B.iota([steps], 0)), options.layerName);
    output = B.transpose(seq, [1, 0, 2]);
  } else {
    output = out.carries[outputCarried ? init.length : 0];
  }
  return { output, states: out.carries.slice(0, init.length) };
}

/**
 * The step as traced on the body's parameters may read values from outside the loop (weights, a
 * dropout mask drawn once per sequence, any tensor a cell closed over). A body reads only its
 * parameters, so every maximal subgraph that does not depend on a parameter and reads an input,
 * a variable or a random draw becomes one more constant parameter, computed once before the loop;
 * the traced graph is rebuilt on those.
 */
function liftFreeSources(outputs: readonly Node[], params: ReadonlySet<Node>, lifted: Map<Node, Node<'input'>>): Node[] {
  // Whether a node is loop-invariant and reads something from outside (so must be lifted).
  const external = new Map<Node, boolean>();
  const dependsOnParam = new Map<Node, boolean>();
  const classify = (n: Node): void => {
    if (dependsOnParam.has(n)) return;
    if (params.has(n)) { dependsOnParam.set(n, true); external.set(n, false); return; }
    for (const x of n.inputs) classify(x);
    const dep = n.inputs.some((x) => dependsOnParam.get(x) === true);
    dependsOnParam.set(n, dep);
    external.set(n, !dep && (n.op === 'input' || n.op === 'variable' || n.inputs.some((x) => external.get(x) === true)));
  };
  for (const o of outputs) classify(o);
  const memo = new Map<Node, Node>();
  const visit = (n: Node): Node => {
    const seen = memo.get(n);
    if (seen !== undefined) return seen;
    let out: Node;
    if (external.get(n) === true) {
      let p = lifted.get(n);
      if (p === undefined) { p = B.input(`scan:const${params.size + lifted.size}`, n.shape, n.dtype); lifted.set(n, p); }
      out = p;
    } else if (n.inputs.length === 0) {
      out = n;
    } else {
      const inputs = n.inputs.map(visit);
      out = inputs.every((x, i) => x === n.inputs[i]) ? n : make(n.op, inputs, n.attrs as never);
    }
    memo.set(n, out);
    return out;
  };
  return outputs.map(visit);
}
