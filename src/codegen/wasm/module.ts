/**
 * A WebAssembly module as plain data, and its binary encoding. Only what runtime-generated
 * kernels need: imported memory and globals, functions with locals, and exports. Sections are
 * written in the order the binary format requires (type, import, function, export, code).
 */
import { f32Bytes, writeI32, writeU32 } from './leb128.js';
import { OPCODES, VALTYPE, type Instr, type ValType } from './opcodes.js';

export interface Local {
  readonly name: string;
  readonly type: ValType;
}

export interface Func {
  /** Its export name, and its name in the text form. */
  readonly name: string;
  readonly params: readonly Local[];
  readonly results: readonly ValType[];
  readonly locals: readonly Local[];
  /** The body without its final `end`; the encoder adds it. */
  readonly body: readonly Instr[];
  readonly exported: boolean;
}

export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  /** Pages of 64 KiB. */
  readonly min: number;
  /** Required when shared (the threads proposal needs a bounded shared memory). */
  readonly max?: number;
  readonly shared: boolean;
}

/** Largest memory a wasm32 module may declare, in 64 KiB pages: a shared import must state a maximum. */
const MAX_PAGES = 65536;

/** The memory every kernel module imports as `env.memory`, shared (and so bounded) or not. */
export function envMemory(shared: boolean): MemoryImport {
  return { module: 'env', name: 'memory', min: 1, ...(shared ? { max: MAX_PAGES } : {}), shared };
}

export interface GlobalImport {
  readonly module: string;
  readonly name: string;
  readonly type: ValType;
  readonly mutable: boolean;
}

export interface WasmModule {
  readonly memory?: MemoryImport;
  readonly globals: readonly GlobalImport[];
  readonly funcs: readonly Func[];
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;
const EXTERN = { func: 0x00, memory: 0x02, global: 0x03 } as const;

function writeName(out: number[], name: string): void {
  const bytes = new TextEncoder().encode(name);
  writeU32(out, bytes.length);
  for (const b of bytes) out.push(b);
}

function writeVec<T>(out: number[], items: readonly T[], write: (out: number[], item: T) => void): void {
  writeU32(out, items.length);
  for (const item of items) write(out, item);
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  writeU32(out, content.length);
  for (const b of content) out.push(b);
}

export function signatureKey(f: Pick<Func, 'params' | 'results'>): string {
  return `${f.params.map((p) => p.type).join(',')}->${f.results.join(',')}`;
}

/** Encodes one instruction; checks the immediates against the opcode table as it goes. */
export function writeInstr(out: number[], ins: Instr): void {
  const info = OPCODES[ins.op];
  if ('simd' in info) {
    out.push(0xfd);
    writeU32(out, info.code);
  } else if ('bulk' in info) {
    out.push(0xfc);
    writeU32(out, info.code);
  } else out.push(info.code);
  let k = 0;
  const next = (): number => {
    if (k >= ins.imm.length) throw new Error(`wasm: ${ins.op} is missing an immediate`);
    return ins.imm[k++];
  };
  for (const kind of info.imm) {
    switch (kind) {
      case 'u32': writeU32(out, next()); break;
      case 'i32': writeI32(out, next()); break;
      case 'f32': out.push(...f32Bytes(next())); break;
      case 'memarg': {
        const align = next(), offset = next();
        if (info.natural !== undefined && align > info.natural) throw new Error(`wasm: ${ins.op} alignment 2^${align} exceeds its natural 2^${info.natural}`);
        writeU32(out, align);
        writeU32(out, offset);
        break;
      }
      case 'lane': out.push(next() & 0xff); break;
      case 'block': out.push(next()); break;
      case 'v128': case 'lanes': for (let i = 0; i < 16; i++) out.push(next() & 0xff); break;
    }
  }
  if (k !== ins.imm.length) throw new Error(`wasm: ${ins.op} has ${ins.imm.length - k} extra immediates`);
}

/** Consecutive locals of one type share an entry, as the format's run-length form allows. */
function writeLocals(out: number[], locals: readonly Local[]): void {
  const runs: { count: number; type: ValType }[] = [];
  for (const l of locals) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.type === l.type) last.count++;
    else runs.push({ count: 1, type: l.type });
  }
  writeVec(out, runs, (o, r) => { writeU32(o, r.count); o.push(VALTYPE[r.type]); });
}

export function encodeModule(m: WasmModule): Uint8Array {
  const out = [...MAGIC];
  // Functions of one signature share a type entry; each entry keeps its first function as example.
  const types: Func[] = [];
  const typeOf = m.funcs.map((f) => {
    let index = types.findIndex((t) => signatureKey(t) === signatureKey(f));
    if (index < 0) { index = types.length; types.push(f); }
    return index;
  });
  const typeSection: number[] = [];
  writeVec(typeSection, types, (o, f) => {
    o.push(0x60);
    writeVec(o, f.params, (o2, p) => o2.push(VALTYPE[p.type]));
    writeVec(o, f.results, (o2, t) => o2.push(VALTYPE[t]));
  });
  section(out, SECTION.type, typeSection);

  const imports: ((o: number[]) => void)[] = [];
  const mem = m.memory;
  if (mem !== undefined) {
    if (mem.shared && mem.max === undefined) throw new Error('wasm: a shared memory needs a maximum size');
    imports.push((o) => {
      writeName(o, mem.module);
      writeName(o, mem.name);
      o.push(EXTERN.memory);
      // Limits flags: bit 0 says a maximum follows, bit 1 says shared.
      o.push((mem.max !== undefined ? 1 : 0) | (mem.shared ? 2 : 0));
      writeU32(o, mem.min);
      if (mem.max !== undefined) writeU32(o, mem.max);
    });
  }
  for (const g of m.globals) {
    imports.push((o) => {
      writeName(o, g.module);
      writeName(o, g.name);
      o.push(EXTERN.global, VALTYPE[g.type], g.mutable ? 1 : 0);
    });
  }
  if (imports.length > 0) {
    const importSection: number[] = [];
    writeVec(importSection, imports, (o, write) => write(o));
    section(out, SECTION.import, importSection);
  }

  const funcSection: number[] = [];
  writeVec(funcSection, typeOf, (o, t) => writeU32(o, t));
  section(out, SECTION.function, funcSection);

  const exported = m.funcs.map((f, i) => ({ f, i })).filter(({ f }) => f.exported);
  if (exported.length > 0) {
    const exportSection: number[] = [];
    writeVec(exportSection, exported, (o, { f, i }) => { writeName(o, f.name); o.push(EXTERN.func); writeU32(o, i); });
    section(out, SECTION.export, exportSection);
  }

  const codeSection: number[] = [];
  writeVec(codeSection, m.funcs, (o, f) => {
    const body: number[] = [];
    writeLocals(body, f.locals);
    for (const ins of f.body) writeInstr(body, ins);
    body.push(OPCODES.end.code);
    writeU32(o, body.length);
    for (const b of body) o.push(b);
  });
  section(out, SECTION.code, codeSection);
  return Uint8Array.from(out);
}
