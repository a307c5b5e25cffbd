import { WebAssemblyApi, type WasmMemory } from '../codegen/wasm/engine.js';

/**
 * The one memory every buffer lives in: variables, program arenas, inputs and outputs. It is a
 * WebAssembly.Memory, so JavaScript kernels (through typed-array views) and WebAssembly kernels
 * (through the same linear memory) address the same bytes without copies. Growing it replaces
 * the views; holders re-read them when `generation` changes.
 */
export const ALIGN = 64;
const PAGE = 65536;

interface Block { offset: number; size: number }

export class Memory {
  readonly wasm: WasmMemory;
  /** Shared memories can be handed to worker threads; their buffer is a SharedArrayBuffer. */
  readonly shared: boolean;
  buffer: ArrayBuffer | SharedArrayBuffer;
  f32: Float32Array;
  i32: Int32Array;
  u8: Uint8Array;
  /** Bumped whenever the views change, so cached subarrays know to refresh. */
  generation = 0;
  private free: Block[];

  constructor(initialBytes = 1 << 20, shared = false) {
    const size = roundUp(initialBytes, PAGE);
    this.shared = shared;
    // A shared memory never moves when it grows (its buffer is not detached, only outgrown), so
    // the same maximum costs address space only; the views below are re-read all the same.
    this.wasm = new WebAssemblyApi.Memory({ initial: size / PAGE, maximum: 65536, shared });
    this.buffer = this.wasm.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.free = [{ offset: 0, size }];
  }

  get bytes(): number {
    return this.buffer.byteLength;
  }

  /** First fit, 64-byte aligned; returns a byte offset. */
  alloc(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1), ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i];
      if (block.size >= size) {
        const offset = block.offset;
        block.offset += size;
        block.size -= size;
        if (block.size === 0) this.free.splice(i, 1);
        return offset;
      }
    }
    this.grow(size);
    return this.alloc(bytes);
  }

  release(offset: number, bytes: number): void {
    const size = roundUp(Math.max(bytes, 1), ALIGN);
    this.u8.fill(0, offset, offset + size);
    this.free.push({ offset, size });
    this.free.sort((a, b) => a.offset - b.offset);
    const merged: Block[] = [];
    for (const b of this.free) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.offset + last.size === b.offset) last.size += b.size;
      else merged.push({ ...b });
    }
    this.free = merged;
  }

  private grow(atLeast: number): void {
    const old = this.buffer.byteLength;
    const size = roundUp(Math.max(old * 2, old + atLeast), PAGE);
    this.wasm.grow((size - old) / PAGE);
    const next = this.wasm.buffer;
    this.buffer = next;
    this.f32 = new Float32Array(next);
    this.i32 = new Int32Array(next);
    this.u8 = new Uint8Array(next);
    const tail = this.free[this.free.length - 1];
    if (tail !== undefined && tail.offset + tail.size === old) tail.size += size - old;
    else this.free.push({ offset: old, size: size - old });
    this.generation++;
  }
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
