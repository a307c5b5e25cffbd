/**
 * LEB128, the variable-length integer encoding of the WebAssembly binary format: 7 bits a byte,
 * low bits first, the top bit set on every byte but the last. Indices, sizes and offsets are
 * unsigned; integer constants (i32.const) are signed, so their sign bit must survive decoding.
 */

/** Appends an unsigned 32-bit integer (0 .. 2^32-1). */
export function writeU32(out: number[], value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`wasm: ${value} is not a u32`);
  // >>> keeps the arithmetic unsigned past 2^31, where >> would smear the sign bit.
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

/** Appends a signed 32-bit integer (-2^31 .. 2^31-1). */
export function writeI32(out: number[], value: number): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`wasm: ${value} is not an i32`);
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    // Done when the rest is all sign bits and the byte's top bit (bit 6) agrees with the sign.
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

export function u32(value: number): number[] {
  const out: number[] = [];
  writeU32(out, value);
  return out;
}

export function i32(value: number): number[] {
  const out: number[] = [];
  writeI32(out, value);
  return out;
}

/** The decoders, so tests can round-trip every encoding. */
export function readU32(bytes: ArrayLike<number>, at = 0): { value: number; next: number } {
  let result = 0, shift = 0, i = at;
  for (;;) {
    const byte = bytes[i++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return { value: result, next: i };
  }
}

export function readI32(bytes: ArrayLike<number>, at = 0): { value: number; next: number } {
  let result = 0, shift = 0, i = at, byte: number;
  do {
    byte = bytes[i++];
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while ((byte & 0x80) !== 0);
  if (shift < 32 && (byte & 0x40) !== 0) result |= -1 << shift;
  return { value: result | 0, next: i };
}

/** IEEE 754 single precision, little-endian, as f32.const stores it. */
export function f32Bytes(value: number): number[] {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value, true);
  return [view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3)];
}
