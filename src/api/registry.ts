/**
 * Named objects resolvable from string identifiers: activations, initializers, losses, metrics
 * and optimizers each keep one Registry, the home of the names a config or `compile()` may use
 * (and, later, what model serialization records as Keras's `class_name` / `registered_name`).
 * A registry owns its spelling rule, so 'glorotUniform' finds 'glorot_uniform' where Keras
 * accepts both, and 'Adam' finds 'adam' where Keras matches case-insensitively.
 */
import { camelToSnake } from './naming.js';

/** Maps an identifier to the spelling names are registered under. */
export type Spelling = (identifier: string) => string;

/** Only the registered spellings (names and aliases), case-sensitive. */
export const exactSpelling: Spelling = (identifier) => identifier;
/** Case-insensitive: names are registered in lower case. */
export const lowerCaseSpelling: Spelling = (identifier) => identifier.toLowerCase();
/** snake_case or camelCase: names are registered in snake_case. */
export const snakeCaseSpelling: Spelling = camelToSnake;

export interface RegistryOptions<T> {
  readonly spelling?: Spelling;
  /** The message of the error an unknown identifier raises; Keras's wording when left out. */
  readonly unknown?: (identifier: string, registry: Registry<T>) => string;
}

export class Registry<T> {
  private readonly bySpelling = new Map<string, { readonly name: string; readonly value: T }>();
  private readonly canonical: string[] = [];
  private readonly aliasList: string[] = [];
  private readonly spelling: Spelling;
  private readonly unknown: (identifier: string, registry: Registry<T>) => string;

  /** `kind` names what the identifiers are of ('loss', 'optimizer', ...), for error messages. */
  constructor(readonly kind: string, options: RegistryOptions<T> = {}) {
    this.spelling = options.spelling ?? exactSpelling;
    this.unknown = options.unknown ?? ((identifier) => `Could not interpret ${kind} identifier: ${identifier}`);
  }

  /** Adds `value` under `name` and any `aliases`; a spelling already taken is an error. */
  register(name: string, value: T, aliases: readonly string[] = []): this {
    for (const spelling of [name, ...aliases]) {
      if (this.bySpelling.has(spelling)) throw new Error(`${this.kind} '${spelling}' is already registered`);
      this.bySpelling.set(spelling, { name, value });
    }
    this.canonical.push(name);
    this.aliasList.push(...aliases);
    return this;
  }

  /** The registered name an identifier resolves to, or undefined when unknown. */
  canonicalName(identifier: string): string | undefined {
    return this.bySpelling.get(this.spelling(identifier))?.name;
  }

  /** The value of an identifier, or undefined when unknown. */
  find(identifier: string): T | undefined {
    return this.bySpelling.get(this.spelling(identifier))?.value;
  }

  /** The value of an identifier; an unknown one is an error listing what is known. */
  get(identifier: string): T {
    const entry = this.bySpelling.get(this.spelling(identifier));
    if (entry === undefined) throw new Error(this.unknown(identifier, this));
    return entry.value;
  }

  /** Registered names, in registration order (aliases not included). */
  names(): readonly string[] {
    return this.canonical;
  }

  /** Every registered spelling: the names, then the aliases, each in registration order. */
  spellings(): readonly string[] {
    return [...this.canonical, ...this.aliasList];
  }

  /** The first name `value` is registered under, or undefined. */
  nameOf(value: T): string | undefined {
    for (const name of this.canonical) if (this.bySpelling.get(name)!.value === value) return name;
    return undefined;
  }
}

/** Names quoted and comma-separated, as the error messages list them. */
export function quotedList(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}
