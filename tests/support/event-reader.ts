/**
 * A reader of TensorBoard event files written independently of src/api/callbacks/event-file.ts:
 * TFRecords with both CRCs checked (CRC32C computed bit by bit, not by table), and a generic
 * protocol-buffer decoder for the Event, Summary, Value and HistogramProto fields.
 */
import { readFileSync } from 'node:fs';

/** CRC32C bit by bit (reflected polynomial 0x82F63B78). */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(bytes: Uint8Array): number {
  const c = crc32cBitwise(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** The data of every record; throws on a bad CRC or a truncated record. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw new Error(`truncated record header at ${at}`);
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== masked(bytes.subarray(at, at + 8))) throw new Error(`bad length CRC at ${at}`);
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (data.length !== length || at + 16 + length > bytes.length) throw new Error(`truncated record at ${at}`);
    if (view.getUint32(at + 12 + length, true) !== masked(data)) throw new Error(`bad data CRC at ${at}`);
    out.push(data);
    at += 16 + length;
  }
  return out;
}

type Field = { wire: 0; value: bigint } | { wire: 1; value: DataView } | { wire: 2; value: Uint8Array } | { wire: 5; value: DataView };

/** Fields by number, in order, of one message. */
export function decodeMessage(bytes: Uint8Array): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n, shift = 0n;
    for (;;) {
      const b = bytes[at++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const number = key >>> 3, wire = key & 7;
    let field: Field;
    if (wire === 0) field = { wire, value: varint() };
    else if (wire === 1) field = { wire, value: new DataView(bytes.buffer, bytes.byteOffset + at, 8) }, (at += 8);
    else if (wire === 5) field = { wire, value: new DataView(bytes.buffer, bytes.byteOffset + at, 4) }, (at += 4);
    else if (wire === 2) {
      const n = Number(varint());
      field = { wire, value: bytes.subarray(at, at + n) };
      at += n;
    } else throw new Error(`unexpected wire type ${wire}`);
    if (!fields.has(number)) fields.set(number, []);
    fields.get(number)!.push(field);
  }
  return fields;
}

const double = (f: Field | undefined) => (f !== undefined && f.wire === 1 ? f.value.getFloat64(0, true) : NaN);
const packedDoubles = (f: Field | undefined) => {
  if (f === undefined || f.wire !== 2) return [];
  const v = new DataView(f.value.buffer, f.value.byteOffset, f.value.byteLength);
  return Array.from({ length: f.value.byteLength / 8 }, (_, i) => v.getFloat64(i * 8, true));
};
const text = (f: Field | undefined) => (f !== undefined && f.wire === 2 ? new TextDecoder().decode(f.value) : undefined);

export interface ParsedHistogram {
  min: number; max: number; num: number; sum: number; sumSquares: number; bucketLimit: number[]; bucket: number[];
}
export interface ParsedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Record<string, number>;
  histograms: Record<string, ParsedHistogram>;
}

export function parseEvent(data: Uint8Array): ParsedEvent {
  const f = decodeMessage(data);
  const stepField = f.get(2)?.[0];
  const event: ParsedEvent = { wallTime: double(f.get(1)?.[0]), step: stepField?.wire === 0 ? Number(stepField.value) : 0, fileVersion: text(f.get(3)?.[0]), scalars: {}, histograms: {} };
  const summary = f.get(5)?.[0];
  if (summary?.wire === 2) {
    for (const value of decodeMessage(summary.value).get(1) ?? []) {
      if (value.wire !== 2) continue;
      const v = decodeMessage(value.value);
      const tag = text(v.get(1)?.[0])!;
      const simple = v.get(2)?.[0];
      if (simple?.wire === 5) event.scalars[tag] = simple.value.getFloat32(0, true);
      const histo = v.get(5)?.[0];
      if (histo?.wire === 2) {
        const h = decodeMessage(histo.value);
        event.histograms[tag] = {
          min: double(h.get(1)?.[0]), max: double(h.get(2)?.[0]), num: double(h.get(3)?.[0]), sum: double(h.get(4)?.[0]),
          sumSquares: double(h.get(5)?.[0]), bucketLimit: packedDoubles(h.get(6)?.[0]), bucket: packedDoubles(h.get(7)?.[0]),
        };
      }
    }
  }
  return event;
}

export function readEventFile(path: string): ParsedEvent[] {
  return readRecords(new Uint8Array(readFileSync(path))).map(parseEvent);
}
