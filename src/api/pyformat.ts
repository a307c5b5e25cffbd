/**
 * Python's number formatting, for text that should read exactly as Keras prints it (progress
 * bars, CSV logs). JavaScript's defaults differ: `String(1)` is '1' where Python prints '1.0',
 * and exponents have no zero padding ('1e-7' against '1e-07').
 */

function specials(x: number): string | undefined {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return undefined;
}

/** Python's `'%.{digits}e' % x`: e.g. 1.2345e-04. */
export function pyExp(x: number, digits: number): string {
  const s = specials(x);
  if (s !== undefined) return s;
  const [mant, exp] = x.toExponential(digits).split('e');
  const e = Number(exp);
  return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Python's `'%.{digits}f' % x`. */
export function pyFixed(x: number, digits: number): string {
  return specials(x) ?? x.toFixed(digits);
}

/** Python's `repr(float)`: shortest round-trip digits, fixed for 1e-4 <= |x| < 1e16, else exponent. */
export function pyRepr(x: number): string {
  const s = specials(x);
  if (s !== undefined) return s;
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    // Python keeps '1e-05' without a '.0' in the mantissa, as toExponential does.
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const text = String(x);
  return /[.e]/.test(text) ? text : `${text}.0`;
}
