/**
 * Keras's InputSpec: what a layer accepts, checked on every call so a wrong shape is reported at
 * the layer, in Keras's words, with the shape expected and the shape received.
 */
import { formatShape, type Shape } from '../../ir/types.js';

export interface InputSpec {
  readonly ndim?: number;
  readonly minNdim?: number;
  readonly maxNdim?: number;
  /** Required sizes of given axes (negative counts from the end). */
  readonly axes?: Readonly<Record<number, number>>;
}

export function assertInputCompatibility(layerName: string, spec: InputSpec | undefined, shapes: readonly Shape[]): void {
  if (spec === undefined) return;
  shapes.forEach((shape, i) => {
    const head = `Input ${i} of layer "${layerName}" is incompatible with the layer`;
    const ndim = shape.length;
    if (spec.ndim !== undefined && ndim !== spec.ndim) {
      throw new Error(`${head}: expected ndim=${spec.ndim}, found ndim=${ndim}. Full shape received: ${formatShape(shape)}`);
    }
    if (spec.minNdim !== undefined && ndim < spec.minNdim) {
      throw new Error(`${head}: expected min_ndim=${spec.minNdim}, found ndim=${ndim}. Full shape received: ${formatShape(shape)}`);
    }
    if (spec.maxNdim !== undefined && ndim > spec.maxNdim) {
      throw new Error(`${head}: expected max_ndim=${spec.maxNdim}, found ndim=${ndim}. Full shape received: ${formatShape(shape)}`);
    }
    for (const [key, value] of Object.entries(spec.axes ?? {})) {
      const axis = Number(key);
      const d = shape[axis < 0 ? ndim + axis : axis];
      if (d !== null && d !== undefined && d !== value) {
        throw new Error(`${head}: expected axis ${axis} of input shape to have value ${value}, but received input with shape ${formatShape(shape)}`);
      }
    }
  });
}
