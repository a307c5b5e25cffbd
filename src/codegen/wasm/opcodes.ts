/**
 * The instructions the kernel generators use, with their binary opcodes and immediate kinds.
 * One table serves the encoder and the text printer, so the two can never disagree on an op.
 * SIMD ops are 0xFD followed by the sub-opcode as a u32 LEB128 (0x105 is two bytes: 85 02);
 * bulk-memory ops are 0xFC followed by theirs.
 */

/** How an instruction's immediates are encoded (and how many numbers they take in `Instr.imm`). */
export type ImmKind =
  | 'u32'     // an index or depth: local, global, label, function
  | 'i32'     // a signed constant
  | 'f32'     // a float constant
  | 'memarg'  // two numbers: log2 of the alignment, then the byte offset
  | 'lane'    // one lane index byte
  | 'block'   // a block type: 0x40 for none, else a value type byte
  | 'v128'    // sixteen bytes
  | 'lanes';  // sixteen lane indices, one byte each (i8x16.shuffle)

interface OpInfo {
  /** Opcode byte, or for the 0xFD and 0xFC prefixes the sub-opcode. */
  readonly code: number;
  readonly simd?: true;
  readonly bulk?: true;
  readonly imm: readonly ImmKind[];
  /** Natural alignment (log2 bytes) for memory ops, the largest alignment the validator allows. */
  readonly natural?: number;
}

interface MemInfo extends OpInfo {
  readonly natural: number;
}

const op = (code: number, ...imm: ImmKind[]): OpInfo => ({ code, imm });
const mem = (code: number, natural: number, simd = false, lane = false): MemInfo =>
  ({ code, imm: lane ? ['memarg', 'lane'] : ['memarg'], natural, ...(simd ? { simd: true } : {}) });
const simd = (code: number, ...imm: ImmKind[]): OpInfo => ({ code, imm, simd: true });
const bulk = (code: number, ...imm: ImmKind[]): OpInfo => ({ code, imm, bulk: true });

export const OPCODES = {
  'unreachable': op(0x00),
  'nop': op(0x01),
  'block': op(0x02, 'block'),
  'loop': op(0x03, 'block'),
  'if': op(0x04, 'block'),
  'else': op(0x05),
  'end': op(0x0b),
  'br': op(0x0c, 'u32'),
  'br_if': op(0x0d, 'u32'),
  'return': op(0x0f),
  'call': op(0x10, 'u32'),
  'drop': op(0x1a),
  'select': op(0x1b),
  'local.get': op(0x20, 'u32'),
  'local.set': op(0x21, 'u32'),
  'local.tee': op(0x22, 'u32'),
  'global.get': op(0x23, 'u32'),
  'global.set': op(0x24, 'u32'),
  'i32.load': mem(0x28, 2),
  'f32.load': mem(0x2a, 2),
  'i32.load8_u': mem(0x2d, 0),
  'i32.store': mem(0x36, 2),
  'f32.store': mem(0x38, 2),
  'i32.store8': mem(0x3a, 0),
  'i32.const': op(0x41, 'i32'),
  // Destination and source memory indices (both 0: a module has one memory).
  'memory.copy': bulk(10, 'u32', 'u32'),
  'f32.const': op(0x43, 'f32'),
  'i32.eqz': op(0x45),
  'f32.eq': op(0x5b),
  'i32.eq': op(0x46),
  'i32.ne': op(0x47),
  'i32.lt_s': op(0x48),
  'i32.lt_u': op(0x49),
  'i32.gt_s': op(0x4a),
  'i32.gt_u': op(0x4b),
  'i32.le_s': op(0x4c),
  'i32.le_u': op(0x4d),
  'i32.ge_s': op(0x4e),
  'i32.ge_u': op(0x4f),
  'i32.add': op(0x6a),
  'i32.sub': op(0x6b),
  'i32.mul': op(0x6c),
  'i32.div_u': op(0x6e),
  'i32.rem_u': op(0x70),
  'i32.and': op(0x71),
  'i32.or': op(0x72),
  'i32.shl': op(0x74),
  'i32.shr_u': op(0x76),
  'f32.add': op(0x92),
  'f32.mul': op(0x94),
  'f32.max': op(0x97),
  'v128.load': mem(0x00, 4, true),
  'v128.load32_splat': mem(0x09, 2, true),
  'v128.store': mem(0x0b, 4, true),
  'v128.const': simd(0x0c, 'v128'),
  'i8x16.shuffle': simd(0x0d, 'lanes'),
  'i32x4.splat': simd(0x11),
  'f32x4.splat': simd(0x13),
  'f32x4.extract_lane': simd(0x1f, 'lane'),
  'i32x4.eq': simd(0x37),
  'i32x4.ne': simd(0x38),
  'f32x4.eq': simd(0x41),
  'f32x4.ne': simd(0x42),
  'f32x4.lt': simd(0x43),
  'f32x4.gt': simd(0x44),
  'f32x4.le': simd(0x45),
  'f32x4.ge': simd(0x46),
  'v128.not': simd(0x4d),
  'v128.and': simd(0x4e),
  'v128.andnot': simd(0x4f),
  'v128.or': simd(0x50),
  'v128.xor': simd(0x51),
  'v128.bitselect': simd(0x52),
  'v128.load32_lane': mem(0x56, 2, true, true),
  'v128.store8_lane': mem(0x58, 0, true, true),
  'v128.store32_lane': mem(0x5a, 2, true, true),
  'v128.store64_lane': mem(0x5b, 3, true, true),
  'v128.load32_zero': mem(0x5c, 2, true),
  'v128.load64_zero': mem(0x5d, 3, true),
  'f32x4.demote_f64x2_zero': simd(0x5e),
  'f64x2.promote_low_f32x4': simd(0x5f),
  'i8x16.neg': simd(0x61),
  'f32x4.nearest': simd(0x6a),
  'i8x16.narrow_i16x8_s': simd(0x65),
  'i16x8.narrow_i32x4_s': simd(0x85),
  'i16x8.extend_low_i8x16_u': simd(0x89),
  'i32x4.extend_low_i16x8_u': simd(0xa9),
  'i32x4.shl': simd(0xab),
  'i32x4.shr_s': simd(0xac),
  'i32x4.shr_u': simd(0xad),
  'i32x4.add': simd(0xae),
  'i32x4.sub': simd(0xb1),
  'i32x4.mul': simd(0xb5),
  'f32x4.abs': simd(0xe0),
  'f32x4.neg': simd(0xe1),
  'f32x4.sqrt': simd(0xe3),
  'f32x4.add': simd(0xe4),
  'f32x4.sub': simd(0xe5),
  'f32x4.mul': simd(0xe6),
  'f32x4.div': simd(0xe7),
  'f32x4.min': simd(0xe8),
  'f32x4.max': simd(0xe9),
  /** The spec's pseudo-maximum, pmax(a, b) = a < b ? b : a: a NaN b never replaces a. */
  'f32x4.pmax': simd(0xeb),
  'f64x2.add': simd(0xf0),
  'i32x4.trunc_sat_f32x4_s': simd(0xf8),
  'f32x4.convert_i32x4_s': simd(0xfa),
  'f32x4.relaxed_madd': simd(0x105),
} as const satisfies Record<string, OpInfo>;

export type OpName = keyof typeof OPCODES;

export function opInfo(name: OpName): OpInfo {
  return OPCODES[name];
}

/** One instruction: its name and its immediates, laid out as `ImmKind`s say. */
export interface Instr {
  readonly op: OpName;
  readonly imm: readonly number[];
}

/** Value types, with their binary codes. */
export const VALTYPE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = keyof typeof VALTYPE;
export const BLOCK_VOID = 0x40;
