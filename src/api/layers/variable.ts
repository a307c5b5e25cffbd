import type { Node } from '../../ir/node.js';
import type { ConcreteShape, DType } from '../../ir/types.js';
import type { Session, Variable as StoredVariable } from '../../runtime/session.js';
import type { Constraint } from '../constraints.js';
import type { Regularizer } from '../regularizers.js';
import { noteStructureChange } from '../structure-epoch.js';
import { Tensor, tensor } from '../tensor.js';

/**
 * A layer weight (Keras's `Variable`): a named, shaped slot in a session's memory. Graphs refer
 * to it through `node`; its value is read and written on the host with `numpy()` / `assign()`.
 */
export class Variable {
  private trainableSetting: boolean;
  /** Set by addWeight: the penalty this weight adds to the training loss. */
  regularizer?: Regularizer;
  /** Set by addWeight: the projection applied after each optimizer update. */
  constraint?: Constraint;

  constructor(
    /** The weight's own name (`kernel`). */
    readonly name: string,
    /** `layer/weight`, unique among the weights of a model (Keras's `variable.path`). */
    readonly path: string,
    readonly stored: StoredVariable,
    readonly session: Session,
    trainable: boolean,
  ) {
    this.trainableSetting = trainable;
  }

  /** Whether optimizers update it; a layer's `trainable = false` overrides this for all its weights. */
  get trainable(): boolean {
    return this.trainableSetting;
  }
  set trainable(value: boolean) {
    this.trainableSetting = value;
    noteStructureChange();
  }

  get shape(): ConcreteShape {
    return this.stored.shape;
  }
  get dtype(): DType {
    return this.stored.dtype;
  }
  get size(): number {
    return this.stored.size;
  }
  /** The graph node standing for this variable's current value. */
  get node(): Node<'variable'> {
    return this.stored.node;
  }

  /** The current value, copied out of the session. */
  numpy(): Tensor {
    return tensor(this.session.read(this.live()), [...this.shape], this.dtype);
  }

  assign(value: Tensor | ArrayLike<number>): void {
    this.session.write(this.live(), value instanceof Tensor ? value.data : value);
  }

  /** The storage, checked to still belong to the session (clearSession frees it). */
  private live(): StoredVariable {
    return this.session.variableOf(this.stored.node);
  }

  toString(): string {
    return `<Variable path=${this.path}, shape=(${this.shape.join(', ')}), dtype=${this.dtype}>`;
  }
}
