/**
 * Which class a config's `class_name` / `registered_name` names: Keras's built-in layers (by
 * their spec), classes registered with registerKerasSerializable (`package>name`, as Keras's
 * register_keras_serializable), and per-call customObjects.
 */
import type { Layer } from '../../layers/layer.js';
import type { LayerClass, LayerSpec } from './layer-spec.js';

/** Any class configs can name: layers, and losses or metrics in a compile_config. */
export type SerializableClass = abstract new (...args: never[]) => object;
export type CustomObjects = Readonly<Record<string, LayerClass | SerializableClass>>;

const builtins = new Map<string, LayerSpec>();
const specByClass = new Map<LayerClass, LayerSpec>();
const registered = new Map<string, SerializableClass>();
const registeredNames = new Map<SerializableClass, { readonly name: string; readonly module: string }>();

export function addBuiltinSpecs(specs: readonly LayerSpec[]): void {
  for (const s of specs) {
    if (builtins.has(s.className)) throw new Error(`layer spec '${s.className}' is defined twice`);
    builtins.set(s.className, s);
    specByClass.set(s.cls, s);
  }
}

/** The spec of exactly this class (a subclass of a built-in is not the built-in). */
export function specOfClass(cls: LayerClass): LayerSpec | undefined {
  return specByClass.get(cls);
}
export function builtinSpec(className: string): LayerSpec | undefined {
  return builtins.get(className);
}
export function builtinClassNames(): string[] {
  return [...builtins.keys()];
}

export interface RegisterOptions {
  /** Keras's `package` (default 'Custom'). */
  readonly package?: string;
  /** Defaults to the class name. */
  readonly name?: string;
}

/** Keras's register_keras_serializable: configs name the class `package>name` (layers, losses, metrics). */
export function registerKerasSerializable<C extends SerializableClass>(cls: C, options: RegisterOptions = {}): C {
  const pkg = options.package ?? 'Custom';
  const name = options.name ?? cls.name;
  const key = `${pkg}>${name}`;
  const existing = registered.get(key);
  if (existing !== undefined && existing !== cls) throw new Error(`${key} has already been registered to ${existing.name}`);
  registered.set(key, cls);
  registeredNames.set(cls, { name: key, module: pkg });
  return cls;
}

/** The registered name and module of a custom class, if registered. */
export function registrationOf(cls: SerializableClass): { readonly name: string; readonly module: string } | undefined {
  return registeredNames.get(cls);
}

/** The class a config names through customObjects or registerKerasSerializable (registered_name first), if any. */
export function customClass(className: string, registeredName: string | null | undefined, customObjects: CustomObjects = {}): SerializableClass | undefined {
  for (const key of [registeredName, className]) {
    if (key === null || key === undefined) continue;
    const custom = customObjects[key] ?? registered.get(key);
    if (custom !== undefined) return custom;
  }
  return undefined;
}

/** Resolves a layer config's class: customObjects, then registered classes, then built-ins. */
export function resolveLayerClass(className: string, registeredName: string | null | undefined, customObjects: CustomObjects = {}): LayerClass | LayerSpec {
  if (className === 'Lambda') {
    throw new Error("Requested the deserialization of a `Lambda` layer, whose function would be code from the file. keras-jit never deserializes Lambda layers (Keras's safe_mode); rebuild the model in code, or replace the Lambda with a custom layer class registered with saving.registerKerasSerializable.");
  }
  for (const key of [registeredName, className]) {
    if (key === null || key === undefined) continue;
    const custom = customObjects[key] ?? registered.get(key);
    if (custom !== undefined) return custom as LayerClass;
  }
  const spec = builtins.get(className);
  if (spec !== undefined && (registeredName === null || registeredName === undefined || registeredName === className)) return spec;
  const shown = registeredName ?? className;
  throw new Error(`Could not locate class '${shown}'. Make sure custom classes are decorated with \`saving.registerKerasSerializable(cls, { package, name })\` (the config names it '${shown}'), or pass it in customObjects: { '${shown}': ${className} }.`);
}

export function isLayerSpec(x: LayerClass | LayerSpec): x is LayerSpec {
  return typeof x === 'object';
}

export type { Layer };
