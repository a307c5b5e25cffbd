/**
 * model.dump(): what keras-jit compiles for a model, stage by stage, as text (or DOT). The 'ir'
 * and 'optimized' stages only trace; 'fused' and 'code' need the compiled program and take it
 * from the session's program cache (compiling and caching it as fit/evaluate/predict would, so a
 * later call reuses it). Nothing is run, so weights, optimizer state and the random stream are
 * untouched.
 */
import { dotGraph } from '../../ir/dot.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import { dumpGraph } from '../../ir/dump.js';
import { optimizeGraph } from '../../ir/pipeline.js';
import { compiledProgram } from '../../runtime/compiled.js';
import { dotProgram } from '../../runtime/program-dot.js';
import { formatCode, formatFused, isInspectable, type InspectableProgram } from '../../runtime/program-text.js';
import { getSession } from '../backend.js';
import { buildSpec, defaultLabelSigs, inputSigs, stepProgram, type GraphKind } from './programs.js';
import type { TrainableModel } from './types.js';

export type DumpStage = 'ir' | 'optimized' | 'fused' | 'code';
export type DumpFormat = 'text' | 'dot';

export interface DumpOptions {
  /** Which program: the training step (needs compile()), evaluation, or prediction. Default 'train'. */
  readonly graph?: GraphKind;
  /**
   * 'ir': the traced graph (with gradients and updates); 'optimized': after the graph passes (ir/pipeline.ts:
   * constant folding, identities, updates that change nothing dropped) — what fusion reads; 'fused': the kernels in run order with their ops and buffers;
   * 'code': the generated source of every kernel. Default 'ir'.
   */
  readonly stage?: DumpStage;
  /** The batch size the program is specialised to. Default 32, as fit(). */
  readonly batchSize?: number;
  /** 'text' (default) or 'dot' (Graphviz; for 'fused', one cluster per kernel). 'code' is text only. */
  readonly format?: DumpFormat;
}

const DUMP_OPTIONS = optionKeys<DumpOptions>({ graph: true, stage: true, batchSize: true, format: true });
const GRAPHS: readonly GraphKind[] = ['train', 'evaluate', 'predict'];
const STAGES: readonly DumpStage[] = ['ir', 'optimized', 'fused', 'code'];
const FORMATS: readonly DumpFormat[] = ['text', 'dot'];

function choice<T extends string>(what: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) {
    throw new Error(`dump: ${what} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The learning phase fit (train) or evaluate/predict would trace with. */
function trainingFor(kind: GraphKind): boolean {
  const phase = getSession().learningPhase;
  return kind === 'train' ? phase === undefined || phase === 1 : phase === 1;
}

/** The compiled program of the cache (or, under the interpreter backend, a throwaway compilation). */
function withCompiled<T>(model: TrainableModel, kind: GraphKind, batch: number, show: (p: InspectableProgram) => T): T {
  const session = getSession();
  const { program } = stepProgram(session, model, kind, batch, trainingFor(kind), inputSigs(model), defaultLabelSigs(model));
  if (isInspectable(program)) return show(program);
  const compiled = compiledProgram(program.spec, session);
  try {
    return show(compiled);
  } finally {
    compiled.dispose();
  }
}

export function dumpModel(model: TrainableModel, options: DumpOptions = {}): string {
  checkOptions(options, DUMP_OPTIONS, 'dump');
  const kind = choice('graph', options.graph, GRAPHS, 'train');
  const stage = choice('stage', options.stage, STAGES, 'ir');
  const format = choice('format', options.format, FORMATS, 'text');
  const batch = options.batchSize ?? 32;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`dump: batchSize must be a positive integer, got ${batch}`);
  if (stage === 'code' && format === 'dot') throw new Error(`dump: stage 'code' is source text; format 'dot' is for stages 'ir', 'optimized' and 'fused'`);
  if (kind !== 'predict' && model.compiled === undefined) {
    throw new Error(`The model '${model.name}' must be compiled before dump({ graph: '${kind}' }); call model.compile({ optimizer, loss }) first, or dump graph 'predict'`);
  }
  if (stage === 'ir' || stage === 'optimized') {
    const { spec } = buildSpec(model, kind, batch, trainingFor(kind), inputSigs(model), defaultLabelSigs(model));
    const stages = optimizeGraph(spec.graph);
    const graph = stage === 'ir' ? stages.numbered : stages.optimized;
    return format === 'dot' ? dotGraph(graph) : dumpGraph(graph, { varIds: false });
  }
  return withCompiled(model, kind, batch, (p) => (stage === 'code' ? formatCode(p) : format === 'dot' ? dotProgram(p) : formatFused(p)));
}
