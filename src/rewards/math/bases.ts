// Numbers written in another base. MATH's golds carry the base as a subscript ("52_8",
// "4210_{5}"); an answer that gives the digits alone ("52") names the same number in the base
// the problem asked for, so it is the same answer. Either way round: the relation is symmetric,
// so majority voting groups "52_8" and "52" whichever comes first. Digits the base does not have
// ("19_8") are no base reading; different bases or different digits stay different, and so does
// the decimal value ("42" is not "52_8").

// Digits with an optional sign and point: -221_3, 0.0011_{2}.
const BASED = /^(-?[0-9A-Z]+(?:\.[0-9A-Z]+)?)_\{?(\d{1,2})\}?$/;
const DIGITS = /^-?[0-9A-Z]+(?:\.[0-9A-Z]+)?$/;

/** True if every digit of `digits` (0-9, then A-Z for 10-35) is below `base`. */
function validDigits(digits: string, base: number): boolean {
  return [...digits.replace(/[-.]/g, '')].every((c) => parseInt(c, 36) < base);
}

/** True if one answer is `digits_base` (digits valid in that base) and the other the same digits without a base. */
export function sameDigitsOneBaseless(a: string, b: string): boolean {
  return basedAndBare(a, b) || basedAndBare(b, a);
}

function basedAndBare(based: string, bare: string): boolean {
  const m = BASED.exec(based);
  if (!m || !DIGITS.test(bare)) return false;
  const base = Number(m[2]);
  return base >= 2 && validDigits(m[1], base) && m[1] === bare;
}
