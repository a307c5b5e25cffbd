/**
 * Python's `str.format` with named fields, for filename templates such as
 * `ckpt/{epoch:02d}-{val_loss:.2f}.keras` (Keras fills them with `filepath.format(epoch=..., **logs)`).
 * Python distinguishes int from float where JavaScript has only numbers, and the two format
 * differently ('d' refuses a float, no type prints `1` against `1.0`), so every value says which it
 * is. Floats are printed from their exact binary value with round-half-even, as CPython does
 * (`toFixed` rounds exact ties up: 0.125 -> '0.13' where Python prints '0.12').
 */
import { pyRepr } from '../pyformat.js';

export type PyValue = { readonly int: number } | number;

/** Python's KeyError for a template field that has no value (Keras rewraps it). */
export class PyKeyError extends Error {
  constructor(readonly key: string) {
    super(`'${key}'`);
  }
}

interface Spec {
  fill: string;
  align?: '<' | '>' | '^' | '=';
  sign: '+' | '-' | ' ';
  z: boolean;
  alt: boolean;
  width: number;
  grouping?: ',' | '_';
  precision?: number;
  type: string;
}

function parseSpec(text: string): Spec {
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/su.exec(text);
  if (m === null) throw new Error('Invalid format specifier');
  const [, fill, align, sign, z, alt, zero, width, grouping, precision, type] = m;
  const spec: Spec = {
    fill: fill ?? ' ', align: align as Spec['align'], sign: (sign ?? '-') as Spec['sign'], z: z !== undefined, alt: alt !== undefined,
    width: width === undefined ? 0 : Number(width), grouping: grouping as Spec['grouping'], precision: precision === undefined ? undefined : Number(precision), type: type ?? '',
  };
  if (zero !== undefined && fill === undefined) {
    spec.fill = '0';
    spec.align ??= '=';
  }
  return spec;
}

/** A finite non-negative double as an exact fraction num / den. */
function exactFraction(x: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  return exp >= 0 ? { num: mant << BigInt(exp), den: 1n } : { num: mant, den: 1n << BigInt(-exp) };
}

/** num / den rounded to an integer, ties to even (Python's correctly rounded formatting). */
function roundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const twice = 2n * (num % den);
  if (twice > den || (twice === den && q % 2n === 1n)) return q + 1n;
  return q;
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** Digits of |x| rounded to `precision` decimals: '0.12' style. */
function fixedDigits(x: number, precision: number): string {
  const { num, den } = exactFraction(x);
  const n = roundHalfEven(num * pow10(precision), den).toString().padStart(precision + 1, '0');
  return precision === 0 ? n : `${n.slice(0, -precision)}.${n.slice(-precision)}`;
}

/** |x| as `precision + 1` significant digits and a decimal exponent (x = d.ddd * 10^exp). */
function scientific(x: number, precision: number): { digits: string; exp: number } {
  if (x === 0) return { digits: '0'.repeat(precision + 1), exp: 0 };
  const { num, den } = exactFraction(x);
  let exp = Math.floor(Math.log10(x));
  // log10 may be off by one near powers of ten: settle 10^exp <= x < 10^(exp+1) exactly.
  const atLeast = (e: number) => (e >= 0 ? num >= den * pow10(e) : num * pow10(-e) >= den);
  while (!atLeast(exp)) exp -= 1;
  while (atLeast(exp + 1)) exp += 1;
  const shift = precision - exp;
  let n = shift >= 0 ? roundHalfEven(num * pow10(shift), den) : roundHalfEven(num, den * pow10(-shift));
  if (n === pow10(precision + 1)) {
    n = pow10(precision);
    exp += 1;
  }
  return { digits: n.toString(), exp };
}

function expText(digits: string, exp: number, alt: boolean, upper: boolean): string {
  const mant = digits.length > 1 || alt ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = `${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return mant + e;
}

/** Python's 'g': fixed notation for -4 <= exp < p, else exponent; trailing zeros dropped unless '#'. */
function general(x: number, precisionIn: number, alt: boolean, upper: boolean): string {
  const p = precisionIn === 0 ? 1 : precisionIn;
  const { digits, exp } = scientific(x, p - 1);
  if (exp < -4 || exp >= p) return expText(alt ? digits : digits.replace(/0+$/, '') || '0', exp, alt, upper);
  let text = fixedDigits(x, Math.max(p - 1 - exp, 0));
  if (!alt && text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  if (alt && !text.includes('.')) text += '.';
  return text;
}

function group(intPart: string, sep: string, every: number): string {
  let out = '';
  for (let i = 0; i < intPart.length; i++) {
    if (i > 0 && (intPart.length - i) % every === 0) out += sep;
    out += intPart[i];
  }
  return out;
}

/** Sign, body and padding as Python lays them out. */
function pad(sign: string, body: string, spec: Spec, defaultAlign: '<' | '>'): string {
  const align = spec.align ?? defaultAlign;
  const missing = spec.width - sign.length - [...body].length;
  if (missing <= 0) return sign + body;
  const fill = spec.fill.repeat(missing);
  if (align === '=') return sign + fill + body;
  if (align === '<') return sign + body + fill;
  if (align === '>') return fill + sign + body;
  const left = spec.fill.repeat(Math.floor(missing / 2));
  return left + sign + body + spec.fill.repeat(missing - left.length);
}

function signOf(negative: boolean, spec: Spec): string {
  if (negative) return '-';
  return spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
}

function formatFloat(x: number, spec: Spec): string {
  let type = spec.type;
  if (type !== '' && !'eEfFgGn%'.includes(type)) throw new Error(`Unknown format code '${type}' for object of type 'float'`);
  if (type === 'n') type = 'g';
  const upper = type === 'E' || type === 'F' || type === 'G';
  let v = type === '%' ? x * 100 : x;
  let negative = v < 0 || Object.is(v, -0);
  v = Math.abs(v);
  let body: string;
  if (Number.isNaN(x)) {
    negative = false;
    body = 'nan';
  } else if (v === Infinity) body = 'inf';
  else if (type === 'f' || type === 'F' || type === '%') body = fixedDigits(v, spec.precision ?? 6) + (spec.alt && (spec.precision ?? 6) === 0 ? '.' : '');
  else if (type === 'e' || type === 'E') {
    const { digits, exp } = scientific(v, spec.precision ?? 6);
    body = expText(digits, exp, spec.alt, upper);
  } else if (type === 'g' || type === 'G') body = general(v, spec.precision ?? 6, spec.alt, upper);
  else body = spec.precision === undefined ? pyRepr(v) : noTypeWithPrecision(v, spec.precision, spec.alt);
  if (upper) body = body.toUpperCase();
  if (type === '%') body += '%';
  // 'z' drops the sign of a value that rounds to zero (-0.0049 -> '0.00'), not of -inf.
  if (spec.z && negative && /^[0.]+$/.test(body.replace(/[eE].*$|%$/, ''))) negative = false;
  if (spec.grouping !== undefined && /^\d/.test(body)) {
    const at = body.search(/[^\d]/);
    const intPart = at < 0 ? body : body.slice(0, at);
    body = group(intPart, spec.grouping, 3) + (at < 0 ? '' : body.slice(at));
  }
  return pad(signOf(negative, spec), body, spec, '>');
}

/** Python's float format with a precision and no type: 'g' that keeps at least one digit after the point. */
function noTypeWithPrecision(x: number, precision: number, alt: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const { digits, exp } = scientific(x, p - 1);
  if (exp < -4 || exp >= p - 1) {
    const d = alt ? digits : digits.replace(/0+$/, '') || '0';
    return expText(d, exp, alt, false);
  }
  let text = fixedDigits(x, Math.max(p - 1 - exp, 0));
  if (!alt && text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  if (!text.includes('.')) text += '.0';
  return text;
}

function formatInt(n: number, spec: Spec): string {
  if ('eEfFgG%'.includes(spec.type) && spec.type !== '') return formatFloat(n, spec);
  if (spec.precision !== undefined) throw new Error('Precision not allowed in integer format specifier');
  const type = spec.type === '' || spec.type === 'n' ? 'd' : spec.type;
  const radix: Record<string, number> = { d: 10, b: 2, o: 8, x: 16, X: 16 };
  if (type === 'c') return pad('', String.fromCodePoint(n), spec, '<');
  if (radix[type] === undefined) throw new Error(`Unknown format code '${spec.type}' for object of type 'int'`);
  let body = Math.abs(n).toString(radix[type]);
  if (type === 'X') body = body.toUpperCase();
  if (spec.grouping !== undefined) body = group(body, spec.grouping, type === 'd' ? 3 : 4);
  const prefix = spec.alt && type !== 'd' ? `0${type}` : '';
  return pad(signOf(n < 0, spec) + prefix, body, spec, '>');
}

function formatString(s: string, spec: Spec): string {
  if (spec.type !== '' && spec.type !== 's') throw new Error(`Unknown format code '${spec.type}' for object of type 'str'`);
  if (spec.align === '=') throw new Error("'=' alignment not allowed in string format specifier");
  const body = spec.precision === undefined ? s : [...s].slice(0, spec.precision).join('');
  return pad('', body, spec, '<');
}

function formatValue(value: PyValue, conversion: string | undefined, specText: string): string {
  const spec = parseSpec(specText);
  if (conversion !== undefined) {
    const s = typeof value === 'number' ? pyRepr(value) : String(value.int);
    return formatString(s, spec);
  }
  return typeof value === 'number' ? formatFloat(value, spec) : formatInt(value.int, spec);
}

/** `template.format(**values)`: Python's errors (KeyError for a missing name, ValueError text otherwise). */
export function pyFormat(template: string, values: Readonly<Record<string, PyValue>>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '}') {
      if (template[i + 1] !== '}') throw new Error("Single '}' encountered in format string");
      out += '}';
      i += 2;
      continue;
    }
    if (c !== '{') {
      out += c;
      i += 1;
      continue;
    }
    if (template[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    // A replacement field runs to its matching '}' (a spec may nest one level of fields).
    let depth = 1;
    let j = i + 1;
    for (; j < template.length && depth > 0; j++) {
      if (template[j] === '{') depth += 1;
      else if (template[j] === '}') depth -= 1;
    }
    if (depth > 0) throw new Error(j - i > 1 ? "expected '}' before end of string" : "Single '{' encountered in format string");
    out += replaceField(template.slice(i + 1, j - 1), values);
    i = j;
  }
  return out;
}

function replaceField(field: string, values: Readonly<Record<string, PyValue>>): string {
  const m = /^([^!:]*)(?:!([^:]*))?(?::(.*))?$/s.exec(field)!;
  const [, name, conversion, specText = ''] = m;
  if (conversion !== undefined && !['r', 's', 'a'].includes(conversion)) {
    throw new Error(conversion.length === 1 ? `Unknown conversion specifier ${conversion}` : 'expected \':\' after conversion specifier');
  }
  if (name === '' || /^\d+$/.test(name)) {
    throw new Error(`Replacement index ${name === '' ? 0 : name} out of range for positional args tuple`);
  }
  const key = /^[^.[]*/.exec(name)![0];
  if (key !== name) throw new Error(`ModelCheckpoint filepath fields are plain names; '{${field}}' uses attribute or index access, which a number has no use for`);
  const value = values[key];
  if (value === undefined) throw new PyKeyError(key);
  const spec = specText.includes('{') ? pyFormat(specText, values) : specText;
  return formatValue(value, conversion, spec);
}

/** Python's `f"{x:spec}"` for a float. */
export function pyFormatFloat(x: number, specText: string): string {
  return formatFloat(x, parseSpec(specText));
}
