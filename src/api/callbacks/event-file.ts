/**
 * TensorBoard event files, written by hand: a file is a sequence of TFRecords, each
 *   uint64 length (little-endian), uint32 masked CRC32C of those 8 bytes, the data,
 *   uint32 masked CRC32C of the data,
 * and each record's data is an `Event` protocol buffer (tensorflow/core/util/event.proto) holding
 * a `Summary` of scalar (simple_value) or histogram (HistogramProto) values.
 */

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C (Castagnoli), as TFRecord uses. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay distinct. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord around `data`. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** A minimal protocol buffer writer: the wire types the Event messages need. */
class ProtoWriter {
  private readonly bytes: number[] = [];

  private varint(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.bytes.push(Number(n));
  }
  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int64(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }
  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.bytes.push(...b);
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes.push(...b);
    return this;
  }
  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  message(field: number, m: ProtoWriter): this {
    return this.bytesField(field, m.finish());
  }
  packedDoubles(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 8);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat64(i * 8, v, true));
    return this.bytesField(field, b);
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** A histogram as TensorBoard's HistogramProto holds it: bucket i counts values in (limit[i-1], limit[i]]. */
export interface Histogram {
  readonly min: number;
  readonly max: number;
  readonly num: number;
  readonly sum: number;
  readonly sumSquares: number;
  readonly bucketLimit: readonly number[];
  readonly bucket: readonly number[];
}

/** `buckets` equal-width buckets over [min, max] (TensorBoard's own summaries use 30). */
export function histogramOf(values: ArrayLike<number>, buckets = 30): Histogram {
  let min = Infinity, max = -Infinity, sum = 0, sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    sumSquares += v * v;
  }
  if (values.length === 0) return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  const width = max > min ? (max - min) / buckets : 1;
  const count = max > min ? buckets : 1;
  const bucketLimit = Array.from({ length: count }, (_, i) => (i === count - 1 ? max : min + (i + 1) * width));
  const bucket = new Array<number>(count).fill(0);
  for (let i = 0; i < values.length; i++) bucket[Math.min(count - 1, Math.max(0, Math.ceil((values[i] - min) / width) - 1))]++;
  return { min, max, num: values.length, sum, sumSquares, bucketLimit, bucket };
}

export type SummaryValue = { readonly tag: string; readonly scalar: number } | { readonly tag: string; readonly histogram: Histogram };

function summaryValue(v: SummaryValue): ProtoWriter {
  const m = new ProtoWriter().string(1, v.tag);
  if ('scalar' in v) return m.float(2, v.scalar);
  const h = v.histogram;
  const histo = new ProtoWriter().double(1, h.min).double(2, h.max).double(3, h.num).double(4, h.sum).double(5, h.sumSquares)
    .packedDoubles(6, h.bucketLimit).packedDoubles(7, h.bucket);
  return m.message(5, histo);
}

/** An Event record: the file version header, or a summary at a step. */
export function eventRecord(wallTime: number, step: number, content: { fileVersion: string } | { values: readonly SummaryValue[] }): Uint8Array {
  const event = new ProtoWriter().double(1, wallTime).int64(2, step);
  if ('fileVersion' in content) event.string(3, content.fileVersion);
  else {
    const summary = new ProtoWriter();
    for (const v of content.values) summary.message(1, summaryValue(v));
    event.message(5, summary);
  }
  return tfRecord(event.finish());
}
