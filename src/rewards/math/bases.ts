// Numbers written in another base. MATH's golds carry the base as a subscript ("52_8",
// "4210_{5}"); an answer that gives the digits alone ("52") names the same number in the base
// the problem asked for, so it is the same answer. Different bases or digits stay different.

// Digits with an optional sign and point: -221_3, 0.0011_{2}.
const BASED = /^(-?[0-9A-Z]+(?:\.[0-9A-Z]+)?)_\{?(\d{1,2})\}?$/;
const DIGITS = /^-?[0-9A-Z]+(?:\.[0-9A-Z]+)?$/;

/** True if one answer is `digits_base` and the other the same digits without the base. */
export function sameDigitsWithoutBase(a: string, b: string): boolean {
  const ma = BASED.exec(a);
  const mb = BASED.exec(b);
  if (ma && !mb) return DIGITS.test(b) && ma[1] === b;
  if (mb && !ma) return DIGITS.test(a) && mb[1] === a;
  return false;
}
