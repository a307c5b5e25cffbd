/**
 * Running a program over data in batches: which program serves which step (full batches share
 * one, a last partial batch has its own), and feeding a batch's rows into program inputs.
 */
import type { Session } from '../../runtime/session.js';
import type { Tensor } from '../tensor.js';
import { copyRows, rowSize } from './data.js';
import { stepProgram, sigsOf, type DataSig, type GraphKind, type StepProgram } from './programs.js';
import type { TrainableModel } from './types.js';

/** The programs of one pass over `n` samples, compiled up front so a bad shape fails before any step runs. */
export class BatchPlan {
  readonly steps: number;
  readonly batch: number;
  private readonly full: StepProgram;
  private readonly last?: StepProgram;
  private readonly lastSize: number;

  constructor(session: Session, model: TrainableModel, kind: GraphKind, n: number, batchSize: number, training: boolean, xs: readonly Tensor[], ys: readonly Tensor[], ws: readonly Tensor[] = []) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
    this.batch = Math.min(batchSize, n);
    this.steps = Math.ceil(n / this.batch);
    this.lastSize = n - (this.steps - 1) * this.batch;
    const xSigs: DataSig[] = sigsOf(xs);
    const ySigs: DataSig[] = sigsOf(ys);
    const wSigs: DataSig[] = sigsOf(ws);
    this.full = stepProgram(session, model, kind, this.batch, training, xSigs, ySigs, wSigs);
    if (this.lastSize !== this.batch) this.last = stepProgram(session, model, kind, this.lastSize, training, xSigs, ySigs, wSigs);
  }

  program(step: number): StepProgram {
    return step === this.steps - 1 && this.last !== undefined ? this.last : this.full;
  }

  /** The layout of logged values (the same for every program of the plan). */
  get entries() {
    return this.full.entries;
  }
}

/** Copies batches of rows from the data tensors into program inputs, in a given sample order. */
export class BatchFeeder {
  private readonly rows: number[];

  constructor(private readonly tensors: readonly Tensor[]) {
    this.rows = tensors.map(rowSize);
  }

  /** Writes samples order[start .. start+count) into inputs firstInput, firstInput+1, ... of the step's program. */
  feed(step: StepProgram, order: Int32Array, start: number, firstInput = 0): void {
    for (let i = 0; i < this.tensors.length; i++) {
      copyRows(step.program.input(firstInput + i), this.tensors[i].data, this.rows[i], order, start, step.batch);
    }
  }
}
