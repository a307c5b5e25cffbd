import { gather } from '../../ir/build.js';
import { getConstraint, type ConstraintIdentifier } from '../constraints.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import { getRegularizer, type RegularizerIdentifier } from '../regularizers.js';
import type { SymbolicTensor } from '../ops.js';
import { requirePositiveInt } from './core.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';

export interface EmbeddingArgs extends LayerArgs {
  readonly embeddingsInitializer?: InitializerIdentifier;
  readonly embeddingsRegularizer?: RegularizerIdentifier;
  readonly embeddingsConstraint?: ConstraintIdentifier;
  /** Index 0 is padding (Keras's mask_zero); the vocabulary then needs inputDim = vocabulary + 1. */
  readonly maskZero?: boolean;
  /** Length of the input sequences; sets inputShape [inputLength] when no inputShape is given. */
  readonly inputLength?: number;
}

/**
 * Maps integer indices to rows of a trainable (inputDim, outputDim) table. Indices outside
 * [0, inputDim) raise an error naming this layer (the gather carries the layer name).
 */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputLength: number | undefined;
  readonly embeddingsInitializer: InitializerIdentifier;
  readonly embeddingsRegularizer?: RegularizerIdentifier;
  readonly embeddingsConstraint?: ConstraintIdentifier;
  embeddings!: Variable;

  constructor(inputDim: number, outputDim: number, args: EmbeddingArgs = {}) {
    super(args.inputShape === undefined && args.batchInputShape === undefined && args.inputLength !== undefined
      ? { ...args, inputShape: [args.inputLength] }
      : args);
    requirePositiveInt(this, 'input_dim', inputDim);
    requirePositiveInt(this, 'output_dim', outputDim);
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.maskZero = args.maskZero ?? false;
    // Keras: only a maskZero embedding produces (and so supports) a mask.
    this.supportsMasking = this.maskZero;
    this.inputLength = args.inputLength;
    this.embeddingsInitializer = args.embeddingsInitializer ?? 'uniform';
    this.embeddingsRegularizer = getRegularizer(args.embeddingsRegularizer);
    this.embeddingsConstraint = getConstraint(args.embeddingsConstraint);
  }

  override build(): void {
    this.embeddings = this.addWeight({ name: 'embeddings', shape: [this.inputDim, this.outputDim], initializer: this.embeddingsInitializer, regularizer: this.embeddingsRegularizer, constraint: this.embeddingsConstraint });
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    return gather(this.embeddings.node, ops.cast(x, 'int32'), this.name);
  }

  /** The padding mask Keras would attach when maskZero is set: true where the index is not 0. */
  override computeMask(x: SymbolicTensor): SymbolicTensor | undefined {
    return this.maskZero ? ops.notEqual(ops.cast(x, 'int32'), 0) : undefined;
  }
}
