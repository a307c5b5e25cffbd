/**
 * Bidirectional(layer) (Keras 3 `keras/src/layers/rnn/bidirectional.py`): a forward copy and a
 * backward copy (goBackwards true) of a recurrent layer, both rebuilt from the layer's config
 * so neither shares weights or state with the layer passed in, their outputs merged.
 */
import * as B from '../../../ir/build.js';
import { formatShape, type Shape } from '../../../ir/types.js';
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops.js';
import type { SymbolicTensor } from '../../ops.js';
import { layerConfigHooks, type LayerConfig } from '../config-hooks.js';
import { checkLayerOptions } from '../layer-options.js';
import type { KerasTensor } from '../keras-tensor.js';
import { Layer, type CallArgs, type LayerArgs, type SplitCall } from '../layer.js';
import { firstMask, type CallMask } from '../masks.js';
import { RecurrentLayer, splitRecurrentCall, type RecurrentCallOptions } from './recurrent.js';
import { RNN } from './rnn.js';

/** The layers Bidirectional wraps: the built-in recurrent layers and RNN(cell). */
type SequenceLayer = RecurrentLayer | RNN;

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
const MERGE_MODES: readonly MergeMode[] = ['sum', 'mul', 'ave', 'concat', null];

export interface BidirectionalArgs extends LayerArgs {
  /** How the two directions' outputs combine; null returns both (Keras's default: 'concat'). */
  readonly mergeMode?: MergeMode;
  /** The layer that reads the sequence backwards; by default a copy of `layer` with goBackwards true. */
  readonly backwardLayer?: Layer;
  /** Initial weights: the first half for the forward layer, the second for the backward one. */
  readonly weights?: readonly Tensor[];
}

/** Keras's utils.removeprefix. */
function removePrefix(s: string, prefix: string): string {
  return s.startsWith(prefix) ? s.slice(prefix.length) : s;
}

/** A fresh layer of `layer`'s class from its config, with some entries replaced (Keras: serialize then deserialize). */
function recreate(layer: Layer, changes: LayerConfig): Layer {
  const config = { ...layerConfigHooks().getConfig(layer), ...changes };
  return layerConfigHooks().fromConfig(layer.constructor as abstract new (...args: never[]) => Layer, config);
}

/** ops.flip(x, axis=1) of a (batch, steps, units) sequence. */
function flipSteps(x: SymbolicTensor): SymbolicTensor {
  const steps = x.shape[1];
  if (steps === null) throw new Error(`Bidirectional needs a known number of steps; received a sequence of shape ${formatShape(x.shape)}`);
  return ops.take(x, B.subtract(steps - 1, B.iota([steps], 0)), 1);
}

const pyBool = (b: boolean): string => (b ? 'True' : 'False');

export class Bidirectional extends Layer {
  readonly forwardLayer: SequenceLayer;
  readonly backwardLayer: SequenceLayer;
  readonly mergeMode: MergeMode;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly stateful: boolean;
  /** Weights given at construction, set once both layers are built (Keras's initial_weights). */
  private pendingWeights: readonly Tensor[] | undefined;

  constructor(layer: Layer, args: BidirectionalArgs = {}) {
    if (!(layer instanceof Layer)) {
      throw new Error(`Please initialize \`Bidirectional\` layer with a \`keras.layers.Layer\` instance. Received: ${String(layer)}`);
    }
    const { backwardLayer } = args;
    if (backwardLayer !== undefined && !(backwardLayer instanceof Layer)) {
      throw new Error(`\`backward_layer\` need to be a \`keras.layers.Layer\` instance. Received: ${String(backwardLayer)}`);
    }
    const mergeMode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (!MERGE_MODES.includes(mergeMode)) {
      throw new Error(`Invalid merge mode. Received: ${String(mergeMode)}. Merge mode should be one of {"sum", "mul", "ave", "concat", None}`);
    }
    super(args);
    checkLayerOptions<BidirectionalArgs>('Bidirectional', args, { mergeMode: true, backwardLayer: true, weights: true });
    // Keras accepts any layer with go_backwards, return_sequences and return_state; keras-jit's
    // recurrent layers are the ones whose call reads those, so anything else is refused by name.
    for (const [what, l] of [['layer', layer], ['backward_layer', backwardLayer]] as const) {
      if (l !== undefined && !(l instanceof RecurrentLayer || l instanceof RNN)) {
        throw new Error(`Bidirectional: \`${what}\` must be a recurrent layer (SimpleRNN, LSTM, GRU or RNN) with \`go_backwards\`, \`return_sequences\` and \`return_state\` attributes. Received: ${l.className} "${l.name}"`);
      }
    }
    const rnn = layer as SequenceLayer;
    this.forwardLayer = recreate(rnn, { name: `forward_${removePrefix(rnn.name, 'forward_')}` }) as SequenceLayer;
    this.backwardLayer = (backwardLayer as SequenceLayer | undefined) ?? (recreate(rnn, { go_backwards: true, name: `backward_${removePrefix(rnn.name, 'backward_')}` }) as SequenceLayer);
    this.verifyLayerConfig();
    // Keras: a returned sequence has zeros at masked steps, whatever the layers' own setting.
    for (const l of [this.forwardLayer, this.backwardLayer]) l.zeroOutputForMask = l.returnSequences;
    this.mergeMode = mergeMode;
    this.pendingWeights = args.weights !== undefined && args.weights.length > 0 ? args.weights : undefined;
    this.returnSequences = rnn.returnSequences;
    this.returnState = rnn.returnState;
    this.stateful = rnn.stateful;
    // Keras 3.15 sets supports_masking True: the outputs carry computeMask's mask.
    this.supportsMasking = true;
    this.inputSpec = rnn.inputSpec;
  }

  private verifyLayerConfig(): void {
    const f = this.forwardLayer;
    const b = this.backwardLayer;
    if (f.goBackwards === b.goBackwards) {
      throw new Error(`Forward layer and backward layer should have different \`go_backwards\` value. Received: forward_layer.go_backwards ${pyBool(f.goBackwards)}, backward_layer.go_backwards=${pyBool(b.goBackwards)}`);
    }
    for (const [attr, fv, bv] of [['stateful', f.stateful, b.stateful], ['return_sequences', f.returnSequences, b.returnSequences], ['return_state', f.returnState, b.returnState]] as const) {
      if (fv !== bv) {
        throw new Error(`Forward layer and backward layer are expected to have the same value for attribute "${attr}", got "${pyBool(fv)}" for forward layer and "${pyBool(bv)}" for backward layer`);
      }
    }
  }

  /** Keras's reset_states(): both layers' states back to zeros. */
  resetStates(): void {
    if (!this.stateful) throw new Error('Layer must be stateful.');
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  override get callTakesMask(): boolean {
    return true;
  }

  /** Keras's compute_mask: the sequence keeps the input's mask (both sequences when unmerged); states have none. */
  override computeMask(_inputs: SymbolicTensor | readonly SymbolicTensor[], mask: CallMask): CallMask {
    const m = firstMask(mask);
    if (this.returnSequences) return this.mergeMode === null ? [m, m] : m;
    return this.mergeMode === null ? [undefined, undefined] : undefined;
  }

  /** `layer(x, { initialState })`: the first half of the states goes to the forward layer, the rest to the backward one. */
  protected override splitCallArguments(args: readonly unknown[]): SplitCall {
    const [inputs, options] = args as [KerasTensor | SymbolicTensor, RecurrentCallOptions<unknown> | undefined];
    return splitRecurrentCall(this, inputs, options);
  }

  protected override inputsCheckedBySpec(): number {
    return 1;
  }

  override build(shapes: Shape | readonly Shape[]): void {
    const inputShape = (Array.isArray(shapes[0]) ? shapes[0] : shapes) as Shape;
    this.forwardLayer.maybeBuild(inputShape);
    this.backwardLayer.maybeBuild(inputShape);
    if (this.pendingWeights !== undefined) {
      const n = this.pendingWeights.length;
      this.forwardLayer.setWeights(this.pendingWeights.slice(0, Math.floor(n / 2)));
      this.backwardLayer.setWeights(this.pendingWeights.slice(Math.floor(n / 2)));
      this.pendingWeights = undefined;
    }
  }

  override call(inputs: SymbolicTensor | readonly SymbolicTensor[], { training }: CallArgs): SymbolicTensor | SymbolicTensor[] {
    const [sequences, ...initial] = (Array.isArray(inputs) ? inputs : [inputs]) as SymbolicTensor[];
    const half = Math.floor(initial.length / 2);
    // The sublayers read the mask riding with `sequences`; the backward one reverses it with the steps.
    const run = (l: SequenceLayer, states: readonly SymbolicTensor[]): SymbolicTensor[] => {
      const options: RecurrentCallOptions<SymbolicTensor> = initial.length === 0 ? { training } : { training, initialState: states };
      const out = l.apply(sequences, options);
      return Array.isArray(out) ? [...out] : [out];
    };
    const [y, ...forwardStates] = run(this.forwardLayer, initial.slice(0, half));
    let [yRev, ...backwardStates] = run(this.backwardLayer, initial.slice(half));
    // The backward layer's sequence comes last step first; flip it back into input order.
    if (this.returnSequences) yRev = flipSteps(yRev);
    let output: SymbolicTensor[];
    switch (this.mergeMode) {
      case 'concat': output = [ops.concatenate([y, yRev], -1)]; break;
      case 'sum': output = [ops.add(y, yRev)]; break;
      case 'ave': output = [ops.divide(ops.add(y, yRev), 2)]; break;
      case 'mul': output = [ops.multiply(y, yRev)]; break;
      case null: output = [y, yRev]; break;
    }
    if (!this.returnState) return output.length === 1 ? output[0] : output;
    return [...output, ...forwardStates, ...backwardStates];
  }
}
