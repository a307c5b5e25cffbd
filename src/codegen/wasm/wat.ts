/**
 * The text form of a module, close to the WebAssembly text format (WAT) in flat instruction
 * style, for dumps: locals and globals print by name, blocks indent, memory immediates show
 * their byte offset. It is meant for reading, printed from the same data the encoder writes.
 */
import type { Func, WasmModule } from './module.js';
import { OPCODES, type Instr } from './opcodes.js';

const quote = (s: string) => JSON.stringify(s);
const id = (s: string) => `$${s.replace(/[^A-Za-z0-9_.]/g, '_')}`;

function immediates(ins: Instr, f: Func, globals: readonly string[]): string {
  const info = OPCODES[ins.op];
  const names = [...f.params, ...f.locals].map((l) => l.name);
  const parts: string[] = [];
  let k = 0;
  for (const kind of info.imm) {
    switch (kind) {
      case 'u32': {
        const v = ins.imm[k++];
        if (ins.op.startsWith('local.')) parts.push(id(names[v] ?? String(v)));
        else if (ins.op.startsWith('global.')) parts.push(id(globals[v] ?? String(v)));
        else parts.push(String(v));
        break;
      }
      case 'i32': case 'lane': parts.push(String(ins.imm[k++])); break;
      case 'f32': parts.push(String(Math.fround(ins.imm[k++]))); break;
      case 'memarg': {
        const align = ins.imm[k++], offset = ins.imm[k++];
        if (offset !== 0) parts.push(`offset=${offset}`);
        if (info.natural !== undefined && align !== info.natural) parts.push(`align=${2 ** align}`);
        break;
      }
      case 'block': k++; break;
      case 'v128': parts.push(`i8x16 ${ins.imm.slice(k, k + 16).join(' ')}`); k += 16; break;
      case 'lanes': parts.push(ins.imm.slice(k, k + 16).join(' ')); k += 16; break;
    }
  }
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

function funcText(f: Func, globals: readonly string[]): string[] {
  const head = [`(func ${id(f.name)}`];
  if (f.exported) head.push(`(export ${quote(f.name)})`);
  for (const p of f.params) head.push(`(param ${id(p.name)} ${p.type})`);
  if (f.results.length > 0) head.push(`(result ${f.results.join(' ')})`);
  const lines = [`  ${head.join(' ')}`];
  for (const l of f.locals) lines.push(`    (local ${id(l.name)} ${l.type})`);
  let depth = 2;
  for (const ins of f.body) {
    if (ins.op === 'end' || ins.op === 'else') depth--;
    lines.push(`${'  '.repeat(depth)}${ins.op}${immediates(ins, f, globals)}`);
    if (ins.op === 'block' || ins.op === 'loop' || ins.op === 'if' || ins.op === 'else') depth++;
  }
  lines[lines.length - 1] += ')';
  return lines;
}

export function printWat(m: WasmModule): string {
  const lines = ['(module'];
  const mem = m.memory;
  if (mem !== undefined) {
    const limits = [String(mem.min), ...(mem.max !== undefined ? [String(mem.max)] : []), ...(mem.shared ? ['shared'] : [])];
    lines.push(`  (import ${quote(mem.module)} ${quote(mem.name)} (memory ${limits.join(' ')}))`);
  }
  const globals = m.globals.map((g) => g.name);
  for (const g of m.globals) {
    const type = g.mutable ? `(mut ${g.type})` : g.type;
    lines.push(`  (import ${quote(g.module)} ${quote(g.name)} (global ${id(g.name)} ${type}))`);
  }
  for (const f of m.funcs) lines.push(...funcText(f, globals));
  lines[lines.length - 1] += ')';
  return lines.join('\n');
}
