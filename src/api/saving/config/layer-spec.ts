/**
 * The declarative description of one layer class's Keras 3 config: which keys Keras writes,
 * how each is read from a keras-jit layer and turned back into a constructor argument. One
 * generic reader/writer (layer-config.ts) uses these, so layer files stay untouched.
 */
import { camelToSnake } from '../../naming.js';
import type { CallNode, KerasTensor } from '../../layers/keras-tensor.js';
import type { Layer } from '../../layers/layer.js';
import type { Json } from './json.js';

/** How a config value is encoded: as is, or as one of the serialized object kinds. */
export type FieldKind = 'raw' | 'initializer' | 'regularizer' | 'constraint' | 'activation' | 'layer';

export interface FieldSpec {
  /** The Keras config key (snake_case). */
  readonly key: string;
  readonly kind: FieldKind;
  /** The keras-jit property and constructor option (camelCase of key unless given). */
  readonly prop: string;
  /** What Keras writes when the layer does not keep the value (it was left at Keras's default). */
  readonly fallback?: Json;
  /**
   * The only value keras-jit supports (data_format 'channels_last', quantization_config null):
   * written as is; a config with another value is a "not supported" error.
   */
  readonly fixed?: Json;
  /** Custom reader when the layer keeps the value in another form. */
  readonly read?: (layer: Layer) => Json;
  /** Custom conversion of a config value to the constructor option. */
  readonly toArg?: (value: Json) => unknown;
  /** Written only when not null (Keras's base Layer does so for activity_regularizer). */
  readonly omitNull?: boolean;
}

export type LayerClass = abstract new (...args: never[]) => Layer;

export interface LayerSpec {
  readonly cls: LayerClass;
  /** Keras's class name (also our class's name for built-ins). */
  readonly className: string;
  readonly module: string;
  /** Config keys passed as leading positional constructor arguments, in order. */
  readonly positional: readonly string[];
  readonly fields: readonly FieldSpec[];
  /**
   * Whether Keras's class overrides build() and so records a build_config once built (Keras's
   * Layer.get_build_config); when false, no build_config is written.
   */
  readonly hasBuild: boolean;
  /** A build_config other than `{input_shape}` (MultiHeadAttention's `shapes_dict`). */
  readonly buildShapes?: (node: CallNode) => import('./json.js').JsonObject;
  /** How Keras writes one call of this layer when keras-jit's call form differs (attention layers). */
  readonly writeNode?: (node: CallNode, tensor: (t: KerasTensor) => Json) => { readonly args: Json[]; readonly kwargs: Record<string, Json> };
  /** Keras's SpatialDropout layers write only `name` and a plain `dtype` string as their base config. */
  readonly plainBase?: boolean;
  /** Call keywords Keras records in every inbound node of this class (RNNs: mask=None, training=False). */
  readonly nodeKwargs?: import('./json.js').JsonObject;
  /** Custom construction when the constructor is not (positional..., options). */
  readonly make?: (positional: readonly unknown[], options: Record<string, unknown>) => Layer;
}

type FieldOptions = Partial<Omit<FieldSpec, 'key' | 'kind'>>;
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function f(key: string, kind: FieldKind = 'raw', options: FieldOptions = {}): FieldSpec {
  return { key, kind, prop: camel(key), ...options };
}
/** A key whose only supported value is `value`. */
export const fixed = (key: string, value: Json): FieldSpec => f(key, 'raw', { fixed: value });
export const init = (key: string, fallback?: string) => f(key, 'initializer', fallback === undefined ? {} : { fallback });
export const reg = (key: string) => f(key, 'regularizer');
export const con = (key: string) => f(key, 'constraint');
export const act = (key: string, fallback = 'linear') => f(key, 'activation', { fallback });

/** A tuple Keras writes as a list of n (our layers may keep a single number). */
export function tuple(key: string, n: number, options: FieldOptions = {}): FieldSpec {
  return f(key, 'raw', {
    read: (layer) => {
      const v = (layer as unknown as Record<string, unknown>)[camel(key)];
      if (typeof v === 'number') return Array.from({ length: n }, () => v);
      if (Array.isArray(v)) return v.map((x: unknown) => (Array.isArray(x) ? [...x] : x)) as Json;
      return null;
    },
    ...options,
  });
}
/** An option our layer does not keep: read from the constructor options, else Keras's default. */
export const opt = (key: string, fallback: Json): FieldSpec => f(key, 'raw', { fallback });

/** The weight triple Keras writes for a weight named `w`: initializer, regularizer, constraint. */
export function weight(w: string, fallback: string): FieldSpec[] {
  return [init(`${w}_initializer`, fallback), reg(`${w}_regularizer`), con(`${w}_constraint`)];
}

type SpecExtra = Partial<Pick<LayerSpec, 'module' | 'make' | 'className' | 'buildShapes' | 'plainBase' | 'nodeKwargs' | 'writeNode'>>;

/** A layer whose Keras class overrides build() (so Keras writes its build_config). */
export function spec(cls: LayerClass, positional: readonly string[], fields: readonly FieldSpec[], extra: SpecExtra = {}): LayerSpec {
  return { cls, className: extra.className ?? cls.name, module: extra.module ?? 'keras.layers', positional, fields, hasBuild: true, ...extra };
}
/** A layer whose Keras class keeps the default build() (no build_config). */
export function plainSpec(cls: LayerClass, positional: readonly string[], fields: readonly FieldSpec[], extra: SpecExtra = {}): LayerSpec {
  return { ...spec(cls, positional, fields, extra), hasBuild: false };
}

export { camelToSnake };
