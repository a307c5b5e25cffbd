/**
 * The one GEMM core every contraction lowers to: C[M, N] = sum over k of A(i, k) * B(k, j),
 * with A and B read only through op-specific packers. The packers gather their operand (a plain
 * matrix, a transposed one, image patches) into Float64Array panels; the core is a 4x2 register
 * tile with k innermost over those panels, blocked so a B micro-panel stays in L1 and the A
 * block in L2 (BLIS's loop order: jc, pc, ic, jr, ir).
 *
 * Generated locals the packers may read: `ic`/`mc` (row block start/size), `pc`/`kc` (k block),
 * `jc`/`nc` (column block); packers write `Ap` and `Bp` only and wrap their own locals in a block.
 * Epilogue code sees the tile's locals through OutputIndex expressions (`i`, `j`, `at`, `at0`..`at3`,
 * `bt`), so an epilogue must not declare those names itself (its other declarations are scoped).
 */
import type * as ES from 'estree';
import type { ContractionCode, Epilogue, OutputIndex } from './contraction-api.js';
import { plus, unflatten } from './index-arith.js';
import { expr, ident, stmts } from './template.js';

/** Register tile: rows of A and columns of B per micro-kernel call. */
export const MR = 4;
export const NR = 2;

export interface GemmPlan {
  readonly name: string;
  /** Independent GEMMs of equal shape, one after another (batched matmul); 1 otherwise. */
  readonly batch: number;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  /** Row blocks start at multiples of this (a packer that gathers whole channel runs along rows). */
  readonly mAlign: number;
  /** K blocks start at multiples of this (a packer that gathers whole channel runs along k). */
  readonly kAlign: number;
  /**
   * Fills Ap for rows [ic, ic+mc) and k in [pc, pc+kc): element (r, k) of the block goes to
   * Ap[(r >> 2) * 4 * kc + 4 * k + (r & 3)]. `a` is the operand's offset for the current batch.
   */
  packA(a: ES.Expression): ES.Statement[];
  /** Fills Bp for k in [pc, pc+kc) and columns [jc, jc+nc): (k, c) goes to Bp[(c >> 1) * 2 * kc + 2 * k + (c & 1)]. */
  packB(b: ES.Expression): ES.Statement[];
  /** Element offsets between consecutive batch entries of A and B (unused when batch is 1). */
  readonly batchStrideA: number;
  readonly batchStrideB: number;
  /**
   * The output's shape as the epilogue sees it: [batch?] ++ rowDims ++ [N], where the GEMM row
   * index is the row-major flattening of rowDims. The flat output index is (bt*M + i)*N + j.
   */
  readonly rowDims: readonly number[];
  /**
   * Overrides where rows land when they are not the row-major flattening of the output's leading
   * axes (the input gradient's stride phases, which cover every s-th pixel): the flat offset of
   * a row's first element, and the row's coordinate along output axis `axis` (< rowDims.length).
   */
  readonly rowMap?: RowMap;
}

export interface RowMap {
  offset(row: ES.Expression): ES.Expression;
  coord(row: ES.Expression, axis: number): ES.Expression;
}

export interface Blocking {
  readonly MC: number;
  readonly KC: number;
  readonly NC: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;
const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;

/**
 * Block sizes for the target machine's caches (48 KiB L1d, 1 MiB L2): a 2 x KC B micro-panel and
 * a 4 x KC A micro-panel stay in L1, the MC x KC A block in L2; a wide range of KC and MC around
 * the targets timed alike. A dimension that fits whole is not
 * split, so small problems run as one block and need no partial-sum scratch; a split dimension is
 * cut into near-equal blocks so there is no sliver block at the end.
 */
export function chooseBlocking(p: Pick<GemmPlan, 'M' | 'K' | 'N' | 'mAlign' | 'kAlign'>): Blocking {
  const TARGET_KC = 384, TARGET_MC = 128, TARGET_NC = 512;
  const balanced = (size: number, target: number, unit: number): number => {
    if (size <= target * 1.5) return size;
    const blocks = Math.ceil(size / target);
    return Math.max(unit, roundUp(Math.ceil(size / blocks), unit));
  };
  return {
    MC: balanced(p.M, TARGET_MC, lcm(MR, p.mAlign)),
    KC: balanced(p.K, TARGET_KC, p.kAlign),
    NC: balanced(p.N, TARGET_NC, NR),
  };
}

function outputIndex(plan: GemmPlan, r: number, c: number): OutputIndex {
  const row = plus(ident('i'), r);
  const col = plus(ident('j'), c);
  const lead = plan.batch > 1 ? 1 : 0;
  const map = plan.rowMap;
  return {
    flat: map !== undefined ? plus(ident(`at${r}`), c) : plus(ident('at'), r * plan.N + c),
    coord(axis: number): ES.Expression {
      if (axis === lead + plan.rowDims.length) return col;
      if (lead === 1 && axis === 0) return ident('bt');
      if (axis < lead || axis > lead + plan.rowDims.length) throw new Error(`codegen: output axis ${axis} is out of range`);
      return map !== undefined ? map.coord(row, axis - lead) : unflatten(row, plan.rowDims, axis - lead);
    },
  };
}

const acc = (r: number, c: number) => ident(`c${r}${c}`);
/** Packers run in their own block so their locals stay out of the tile loops' scope. */
const block = (body: ES.Statement[]): ES.Statement[] => [{ type: 'BlockStatement', body }];

/**
 * Each epilogue call gets its own block when it declares anything, so the declarations of one
 * element never clash with the next.
 */
function store(plan: GemmPlan, epilogue: Epilogue, r: number, c: number): ES.Statement[] {
  const body = epilogue(acc(r, c), outputIndex(plan, r, c));
  const declares = body.some((s) => /Declaration$/.test(s.type));
  return declares ? [{ type: 'BlockStatement', body }] : body;
}

/** `at`, the flat index of the tile's first element; or with a row map, `at0..at3` per row. */
function tileOffsets(plan: GemmPlan): ES.Statement[] {
  const map = plan.rowMap;
  if (map !== undefined) {
    const row = (r: number) => map.offset(plus(ident('i'), r));
    return stmts('const at0 = $r0 + j, at1 = $r1 + j, at2 = $r2 + j, at3 = $r3 + j;', { $r0: row(0), $r1: row(1), $r2: row(2), $r3: row(3) });
  }
  const flatBase = plan.batch > 1 ? expr('(bt * $M + i) * $N + j', { $M: plan.M, $N: plan.N }) : expr('i * $N + j', { $N: plan.N });
  return stmts('const at = $flat;', { $flat: flatBase });
}

/** Stores the finished 4x2 tile; edge tiles check each row and column against the literal M and N. */
function finishTile(plan: GemmPlan, epilogue: Epilogue): ES.Statement[] {
  const full: ES.Statement[] = [];
  for (let r = 0; r < MR; r++) for (let c = 0; c < NR; c++) full.push(...store(plan, epilogue, r, c));
  const head = tileOffsets(plan);
  if (plan.M % MR === 0 && plan.N % NR === 0) return [...head, ...full];
  const guarded: ES.Statement[] = [];
  for (let r = 0; r < MR; r++) for (let c = 0; c < NR; c++) {
    const s = store(plan, epilogue, r, c);
    const holes = { $r: r, $c: c, $M: plan.M, $N: plan.N, $s: s };
    if (r === 0 && c === 0) guarded.push(...s);
    else if (c === 0) guarded.push(...stmts('if (i + $r < $M) { $s; }', holes));
    else if (r === 0) guarded.push(...stmts('if (j + $c < $N) { $s; }', holes));
    else guarded.push(...stmts('if (i + $r < $M && j + $c < $N) { $s; }', holes));
  }
  return [...head, ...stmts('if (i + 3 < $M && j + 1 < $N) { $full; } else { $guarded; }', { $M: plan.M, $N: plan.N, $full: full, $guarded: guarded })];
}

/**
 * One k step of the register tile: 4 + 2 loads for 8 multiply-adds, at fixed offsets from the
 * panel cursors so unrolled steps need no cursor updates in between.
 */
const STEP = `{
  const a0 = Ap[$pa0], a1 = Ap[$pa1], a2 = Ap[$pa2], a3 = Ap[$pa3];
  const b0 = Bp[$pb0], b1 = Bp[$pb1];
  c00 += a0 * b0; c01 += a0 * b1;
  c10 += a1 * b0; c11 += a1 * b1;
  c20 += a2 * b0; c21 += a2 * b1;
  c30 += a3 * b0; c31 += a3 * b1;
}`;
function step(u: number): ES.Statement[] {
  const pa = (n: number) => plus(ident('pa'), MR * u + n), pb = (n: number) => plus(ident('pb'), NR * u + n);
  return stmts(STEP, { $pa0: pa(0), $pa1: pa(1), $pa2: pa(2), $pa3: pa(3), $pb0: pb(0), $pb1: pb(1) });
}

/**
 * k is unrolled UNROLL times because V8 does not unroll and the loop's compare, branch and cursor
 * updates are a large share of a step; 2 timed best, 3 and 4 hold more live values than there
 * are registers.
 */
const UNROLL = 2;

const MICRO = `
let c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0;
$load;
let pa = ir * kc, pb = jr * kc, k = 0;
for (; k < kc - $last; k += $U) {
  $steps;
  pa += $dA; pb += $dB;
}
for (; k < kc; k++) {
  $step;
  pa += 4; pb += 2;
}
$store;`;

function microKernel(load: ES.Statement[], store: ES.Statement[]): ES.Statement[] {
  const steps = Array.from({ length: UNROLL }, (_, u) => step(u)).flat();
  return stmts(MICRO, { $load: load, $store: store, $last: UNROLL - 1, $U: UNROLL, $steps: steps, $dA: MR * UNROLL, $dB: NR * UNROLL, $step: step(0) });
}

/** Partial sums of earlier k blocks, kept per (row, column within the jc block). */
const LOAD_PARTIAL = `
if (pc > 0) {
  const s = i * $ncPad + jr;
  c00 = S[s]; c01 = S[s + 1];
  c10 = S[s + $r1]; c11 = S[s + $r1p];
  c20 = S[s + $r2]; c21 = S[s + $r2p];
  c30 = S[s + $r3]; c31 = S[s + $r3p];
}`;
const STORE_PARTIAL = `
if (pc + kc < $K) {
  const s = i * $ncPad + jr;
  S[s] = c00; S[s + 1] = c01;
  S[s + $r1] = c10; S[s + $r1p] = c11;
  S[s + $r2] = c20; S[s + $r2p] = c21;
  S[s + $r3] = c30; S[s + $r3p] = c31;
} else {
  $finish;
}`;

/**
 * Zeroes the rows of the last A panel past mc and the columns of the last B panel past nc, so the
 * micro-kernel can always compute a full tile; only the stores look at the edges.
 */
const PAD_A = `
for (let r = mc; r < ((mc + 3) & -4); r++) {
  const dst = (r >> 2) * 4 * kc + (r & 3);
  for (let k = 0; k < kc; k++) Ap[dst + 4 * k] = 0;
}`;
const PAD_B = `
if (nc & 1) {
  const dst = (nc >> 1) * 2 * kc + 1;
  for (let k = 0; k < kc; k++) Bp[dst + 2 * k] = 0;
}`;

/**
 * One level of blocking: `start` steps through [0, total) by `step`, `size` is the current
 * block's extent. A dimension that fits in one block gets constants instead of a loop.
 */
function blockLoop(start: string, size: string, total: number, step: number, body: ES.Statement[]): ES.Statement[] {
  const holes = { $start: ident(start), $size: ident(size), $total: total, $step: step, $body: body };
  if (step >= total) return [...stmts('const $start = 0, $size = $total;', holes), ...body];
  return stmts(`for (let $start = 0; $start < $total; $start += $step) {
    const $size = Math.min($step, $total - $start);
    $body;
  }`, holes);
}

/** The register tiles of one (ic, pc, jc) block: B micro-panels outer so each stays in L1. */
const TILES = `
for (let jr = 0; jr < nc; jr += 2) {
  const j = jc + jr;
  for (let ir = 0; ir < mc; ir += 4) {
    const i = ic + ir;
    $micro;
  }
}`;

interface GemmBody {
  readonly body: ES.Statement[];
  /** Float64 elements each closure buffer needs. */
  readonly Ap: number;
  readonly Bp: number;
  readonly S: number;
}

function gemmBody(plan: GemmPlan, a: ES.Expression, b: ES.Expression, epilogue: Epilogue, blocking: Blocking): GemmBody {
  const { MC, KC, NC } = blocking;
  if (MC % MR !== 0 && MC < plan.M) throw new Error(`codegen: row block ${MC} is not a multiple of ${MR}`);
  if (NC % NR !== 0 && NC < plan.N) throw new Error(`codegen: column block ${NC} is not a multiple of ${NR}`);
  const mcPad = roundUp(Math.min(MC, plan.M), MR), ncPad = roundUp(Math.min(NC, plan.N), NR);
  const split = KC < plan.K;
  const finish = finishTile(plan, epilogue);
  const rows = { $ncPad: ncPad, $r1: ncPad, $r2: 2 * ncPad, $r3: 3 * ncPad, $r1p: ncPad + 1, $r2p: 2 * ncPad + 1, $r3p: 3 * ncPad + 1 };
  const micro = microKernel(
    split ? stmts(LOAD_PARTIAL, rows) : [],
    split ? stmts(STORE_PARTIAL, { ...rows, $K: plan.K, $finish: finish }) : finish,
  );
  const batched = plan.batch > 1;
  const aAt = batched ? ident('aAt') : a, bAt = batched ? ident('bAt') : b;
  const rowBlock = blockLoop('ic', 'mc', plan.M, MC, [
    ...block(plan.packA(aAt)),
    ...(plan.M % MR === 0 ? [] : stmts(PAD_A)),
    ...stmts(TILES, { $micro: micro }),
  ]);
  const kBlock = blockLoop('pc', 'kc', plan.K, KC, [
    ...block(plan.packB(bAt)),
    ...(plan.N % NR === 0 ? [] : stmts(PAD_B)),
    ...rowBlock,
  ]);
  const blocks = blockLoop('jc', 'nc', plan.N, NC, kBlock);
  const body = batched
    ? stmts(`for (let bt = 0; bt < $batch; bt++) {
        const aAt = $a + bt * $sa, bAt = $b + bt * $sb;
        $blocks;
      }`, { $batch: plan.batch, $a: a, $b: b, $sa: plan.batchStrideA, $sb: plan.batchStrideB, $blocks: blocks })
    : blocks;
  return { body, Ap: mcPad * KC, Bp: ncPad * KC, S: split ? roundUp(plan.M, MR) * ncPad : 0 };
}

/**
 * One kernel running several GEMMs one after another (the stride phases of the input gradient),
 * sharing closure buffers sized for the largest; one plan is the usual case.
 */
export function emitGemms(name: string, plans: readonly GemmPlan[], a: ES.Expression, b: ES.Expression, epilogue: Epilogue, blocking?: Blocking): ContractionCode {
  const parts = plans.map((p) => gemmBody(p, a, b, epilogue, blocking ?? chooseBlocking(p)));
  const size = (key: 'Ap' | 'Bp' | 'S') => Math.max(0, ...parts.map((p) => p[key]));
  const prelude = [
    ...stmts('const Ap = new Float64Array($n);', { $n: size('Ap') }),
    ...stmts('const Bp = new Float64Array($n);', { $n: size('Bp') }),
    ...(size('S') > 0 ? stmts('const S = new Float64Array($n);', { $n: size('S') }) : []),
  ];
  const body = parts.length === 1 ? parts[0].body : parts.flatMap((p) => block(p.body));
  return { name, prelude, body };
}

export function emitGemm(plan: GemmPlan, a: ES.Expression, b: ES.Expression, epilogue: Epilogue, blocking?: Blocking): ContractionCode {
  return emitGemms(plan.name, [plan], a, b, epilogue, blocking);
}
