import { WebAssemblyApi, type WasmMemory } from '../codegen/wasm/engine.js';

/**
 * The one memory every buffer lives in: variables, program arenas, inputs and outputs. It is a
 * WebAssembly.Memory, so JavaScript kernels (through typed-array views) and WebAssembly kernels
 * (through the same linear memory) address the same bytes without copies. Growing it replaces
 * the views; holders re-read them when `generation` changes.
 */
export const ALIGN = 64;
const PAGE = 65536;
/** WebAssembly's 32-bit memories address at most 65536 pages: 4 GiB. */
const MAX_PAGES = 65536;
export const MEMORY_LIMIT_BYTES = MAX_PAGES * PAGE;

/** What a too-large allocation throws: the bytes it needed and the limit, instead of a raw Memory.grow() failure. */
export class MemoryLimitError extends RangeError {
  constructor(readonly neededBytes: number, readonly limitBytes: number, detail = '') {
    super(`out of memory: this needs ${neededBytes} bytes (${gib(neededBytes)}) of session memory, but WebAssembly memory is limited to ${limitBytes} bytes (${gib(limitBytes)})${detail}; use a smaller model or batch size`);
    this.name = 'MemoryLimitError';
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

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
    if (size > MEMORY_LIMIT_BYTES) throw new MemoryLimitError(size, MEMORY_LIMIT_BYTES);
    this.wasm = new WebAssemblyApi.Memory({ initial: size / PAGE, maximum: MAX_PAGES, shared });
    this.buffer = this.wasm.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.free = [{ offset: 0, size }];
  }

  get bytes(): number {
    return this.buffer.byteLength;
  }

  /** Throws a MemoryLimitError when `bytes` more could never fit under the limit (`what` names them in the message). */
  checkFits(bytes: number, what: string): void {
    const free = this.free.reduce((total, b) => total + b.size, 0);
    const needed = this.buffer.byteLength - free + roundUp(Math.max(bytes, 1), ALIGN);
    if (needed > MEMORY_LIMIT_BYTES) throw new MemoryLimitError(needed, MEMORY_LIMIT_BYTES, ` (${what}: ${bytes} bytes)`);
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
    const tail = this.free[this.free.length - 1];
    // The free block at the end counts towards the request, so the bytes needed are what is in use plus the part it lacks.
    const freeAtEnd = tail !== undefined && tail.offset + tail.size === old ? tail.size : 0;
    const needed = old + atLeast - freeAtEnd;
    if (needed > MEMORY_LIMIT_BYTES) throw new MemoryLimitError(needed, MEMORY_LIMIT_BYTES);
    const size = Math.min(roundUp(Math.max(old * 2, old + atLeast), PAGE), MEMORY_LIMIT_BYTES);
    try {
      this.wasm.grow((size - old) / PAGE);
    } catch (e) {
      // Below the 4 GiB limit the host itself may refuse; say what was asked for all the same.
      throw new MemoryLimitError(needed, MEMORY_LIMIT_BYTES, ` (the host refused to grow it from ${old} to ${size} bytes: ${e instanceof Error ? e.message : String(e)})`);
    }
    const next = this.wasm.buffer;
    this.buffer = next;
    this.f32 = new Float32Array(next);
    this.i32 = new Int32Array(next);
    this.u8 = new Uint8Array(next);
    if (freeAtEnd > 0) tail.size += size - old;
    else this.free.push({ offset: old, size: size - old });
    this.generation++;
  }
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
