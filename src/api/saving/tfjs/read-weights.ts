/**
 * Weight values from TF.js weight files: each manifest group's shard files are one byte stream in
 * `paths` order, holding the group's weights back to back (tfjs-core io/weights_loader). Quantized
 * weights are dequantized as tfjs-core io_utils decodeWeight does.
 */
import { decodeFloat16 } from './float16.js';
import type { TfjsModelJson, TfjsWeightSpec } from './model-json.js';

export interface NamedWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
  /** The manifest's weight group (`optimizer` for optimizer state), when it names one. */
  group?: string;
}

export type ReadWeightFile = (path: string) => Uint8Array | Promise<Uint8Array>;

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

function byteLength(spec: TfjsWeightSpec): number {
  return spec.shape.reduce((a, b) => a * b, 1) * BYTES[spec.quantization?.dtype ?? spec.dtype];
}

/** Which shard a byte offset of the group stream falls in, for error messages. */
function fileAt(offset: number, paths: string[], sizes: number[]): string {
  let end = 0;
  for (let i = 0; i < paths.length; i++) {
    end += sizes[i];
    if (offset < end) return paths[i];
  }
  return paths[paths.length - 1] ?? '(no file)';
}

export function decodeWeight(spec: TfjsWeightSpec, bytes: Uint8Array): NamedWeight {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = spec.quantization;
  let values: Float32Array | Int32Array;
  if (q === undefined) {
    values = spec.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
    for (let i = 0; i < n; i++) values[i] = spec.dtype === 'float32' ? view.getFloat32(4 * i, true) : view.getInt32(4 * i, true);
  } else if (q.dtype === 'float16') {
    const halves = new Uint16Array(n);
    for (let i = 0; i < n; i++) halves[i] = view.getUint16(2 * i, true);
    values = decodeFloat16(halves);
  } else {
    const scale = q.scale!, min = q.min!;
    const get = q.dtype === 'uint8' ? (i: number) => view.getUint8(i) : (i: number) => view.getUint16(2 * i, true);
    values = spec.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = get(i) * scale + min;
      values[i] = spec.dtype === 'int32' ? Math.round(v) : v;
    }
  }
  const out: NamedWeight = { name: spec.name, shape: [...spec.shape], dtype: spec.dtype, values };
  if (spec.group !== undefined) out.group = spec.group;
  return out;
}

/** Reads every group's shards through `readWeightFile` and decodes all weights in manifest order. */
export async function readWeights(model: TfjsModelJson, readWeightFile: ReadWeightFile, file = 'model.json'): Promise<NamedWeight[]> {
  const out: NamedWeight[] = [];
  for (const [g, group] of model.weightsManifest.entries()) {
    const shards: Uint8Array[] = [];
    for (const path of group.paths) {
      let data: Uint8Array;
      try {
        data = await readWeightFile(path);
      } catch (e) {
        throw new Error(`${file}: cannot read weight file '${path}' (weightsManifest[${g}]): ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!(data instanceof Uint8Array)) throw new Error(`${file}: reading weight file '${path}' gave ${typeof data}, expected bytes (a Uint8Array)`);
      shards.push(data);
    }
    const sizes = shards.map((s) => s.byteLength);
    const total = sizes.reduce((a, b) => a + b, 0);
    const stream = new Uint8Array(total);
    let at = 0;
    for (const s of shards) { stream.set(s, at); at += s.byteLength; }
    let offset = 0;
    for (const spec of group.weights) {
      const len = byteLength(spec);
      if (offset + len > total) {
        throw new Error(`${file}: weight file '${fileAt(Math.min(offset, Math.max(total - 1, 0)), group.paths, sizes)}' is too short: weight '${spec.name}' needs bytes ${offset}..${offset + len} of weightsManifest[${g}] (files ${group.paths.join(', ')}), which hold only ${total} bytes`);
      }
      out.push(decodeWeight(spec, stream.subarray(offset, offset + len)));
      offset += len;
    }
    if (offset !== total) {
      throw new Error(`${file}: weight files ${group.paths.join(', ')} hold ${total} bytes but weightsManifest[${g}] describes ${offset}; the manifest and the weight files do not match`);
    }
  }
  return out;
}
