import { variable as variableNode } from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { formatShape, sizeOf, type ConcreteShape, type DType } from '../ir/types.js';
import { bytesPerElement, viewOf, type TypedArray } from './buffers.js';
import { compileProgram } from './compile.js';
import { reportCompiled } from './compile-report.js';
import { Memory } from './memory.js';
import { defaultSharedMemory } from './threads/config.js';
import { formatProfile } from './profile.js';
import { programBatch } from './program-text.js';
import type { Program, ProgramSpec } from './program.js';

let nextVarId = 1;

/** A variable's storage in the session memory; `node` is how graphs refer to it. */
export class Variable {
  constructor(
    readonly id: number,
    readonly node: Node<'variable'>,
    readonly shape: ConcreteShape,
    readonly dtype: DType,
    readonly byteOffset: number,
  ) {}
  get size(): number {
    return sizeOf(this.shape);
  }
  get label(): string {
    return this.node.attrs.label;
  }
}

export interface SessionOptions {
  /** Makes weight initialisation and dropout repeatable. */
  readonly seed?: number;
  /** A SharedArrayBuffer-backed memory, which worker threads can run kernels over; default: when the engine can. */
  readonly sharedMemory?: boolean;
}

/**
 * Owns what a running model needs: variable storage, compiled programs (cached by a key the
 * caller derives from graph, input shapes and learning phase), the random state and the
 * learning-phase flag.
 */
export class Session {
  readonly seed: number;
  readonly memory: Memory;
  /** 0 or 1 forces the phase; undefined lets fit train with 1 and evaluate/predict use 0. */
  learningPhase: 0 | 1 | undefined = undefined;
  private readonly variables = new Map<number, Variable>();
  private readonly programs = new Map<string, Program>();
  private runs = 0;
  private initDraws = 0;

  constructor(options: SessionOptions = {}) {
    this.seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
    this.memory = new Memory(undefined, options.sharedMemory ?? defaultSharedMemory());
  }

  createVariable(label: string, shape: ConcreteShape, dtype: DType = 'float32', initial?: ArrayLike<number>): Variable {
    const bytes = this.checkVariableFits(label, shape, dtype);
    const id = nextVarId++;
    const offset = this.memory.alloc(bytes);
    const v = new Variable(id, variableNode(id, label, shape, dtype), shape, dtype, offset);
    this.variables.set(id, v);
    if (initial !== undefined) this.write(v, initial);
    return v;
  }

  /**
   * The bytes a variable takes, or a MemoryLimitError when it cannot fit in the session memory;
   * layers ask before generating initial values, so a too-large weight fails before its values exist.
   */
  checkVariableFits(label: string, shape: ConcreteShape, dtype: DType = 'float32'): number {
    const bytes = sizeOf(shape) * bytesPerElement(dtype);
    this.memory.checkFits(bytes, `variable '${label}' of shape (${shape.join(', ')})`);
    return bytes;
  }

  /** The storage of a variable node of this session, or an error naming it. */
  variableOf(node: Node<'variable'>): Variable {
    const v = this.variables.get(node.attrs.varId);
    if (v === undefined) throw new Error(`Variable '${node.attrs.label}' does not belong to this session (was the session cleared?)`);
    return v;
  }

  /** A live view of a variable's storage. */
  view(v: Variable): TypedArray {
    return viewOf(this.memory, v.byteOffset, v.size, v.dtype);
  }

  read(v: Variable): TypedArray {
    return this.view(v).slice();
  }

  write(v: Variable, data: ArrayLike<number>): void {
    if (data.length !== v.size) {
      throw new Error(`Variable '${v.label}' of shape ${formatShape(v.shape)} holds ${v.size} values, got ${data.length}`);
    }
    this.view(v).set(data);
  }

  /** The compiled program for `key`, compiling it with `spec()` the first time. */
  program(key: string, spec: () => ProgramSpec): Program {
    let p = this.programs.get(key);
    if (p === undefined) {
      p = compileProgram(spec(), this);
      this.programs.set(key, p);
      reportCompiled(p);
    }
    return p;
  }

  /** Whether `program` is still the one cached under `key` (clear() and disposal drop it). */
  holdsProgram(key: string, program: object): boolean {
    return this.programs.get(key) === program;
  }

  /**
   * The per-kernel profile of every cached program that ran since the last report
   * (KERAS_JIT_DEBUG >= 2), as tables titled with `title`; resets the counts. '' when none ran.
   */
  takeProfileReport(title: string): string {
    let text = '';
    for (const p of this.programs.values()) {
      if (p.profile === undefined || p.profile.steps === 0) continue;
      const batch = programBatch(p.spec);
      text += formatProfile(`[keras-jit] profile ${title}: ${p.spec.name}${batch === undefined ? '' : ` batch ${batch}`}`, p.profile);
      p.profile.reset();
    }
    return text;
  }

  get programCount(): number {
    return this.programs.size;
  }

  /** Runs a program with the next seed of the session's counter-based random stream. */
  run(p: Program): void {
    p.run(this.nextSeed());
  }

  /** Programs run so far: the position in the random stream, which BackupAndRestore records. */
  get runCount(): number {
    return this.runs;
  }

  /** Moves the random stream back to a recorded position, so a resumed fit() draws what the interrupted one would have. */
  restoreRunCount(runs: number): void {
    if (!Number.isInteger(runs) || runs < 0) throw new Error(`restoreRunCount: expected an integer >= 0, got ${runs}`);
    this.runs = runs;
  }

  nextSeed(): number {
    return (Math.imul(this.seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(++this.runs, 0x9e3779b1)) | 0;
  }

  /** A deterministic seed for one weight initialisation, so `new Session({ seed })` repeats runs. */
  nextInitSeed(): number {
    return (Math.imul(this.seed ^ 0x1b873593, 0x85ebca6b) + Math.imul(++this.initDraws, 0xc2b2ae35)) | 0;
  }

  /** Drops compiled programs and variables. */
  clear(): void {
    for (const p of this.programs.values()) p.dispose();
    this.programs.clear();
    for (const v of this.variables.values()) this.memory.release(v.byteOffset, v.size * bytesPerElement(v.dtype));
    this.variables.clear();
  }

  dropPrograms(): void {
    for (const p of this.programs.values()) p.dispose();
    this.programs.clear();
  }
}
