// Numbers written in another base. MATH's golds carry the base as a subscript ("52_8",
// "4210_{5}"); an answer that gives the digits alone ("52") names the same number in the base
// the problem asked for, so it is the same answer. Only that way round: a prediction's own
// subscript ("52_9" against gold 52) is a different number, as are digits the base does not have
// ("12_3"). Different bases or digits stay different.

// Digits with an optional sign and point: -221_3, 0.0011_{2}.
const BASED = /^(-?[0-9A-Z]+(?:\.[0-9A-Z]+)?)_\{?(\d{1,2})\}?$/;
const DIGITS = /^-?[0-9A-Z]+(?:\.[0-9A-Z]+)?$/;

/** True if every digit of `digits` (0-9, then A-Z for 10-35) is below `base`. */
function validDigits(digits: string, base: number): boolean {
  return [...digits.replace(/[-.]/g, '')].every((c) => parseInt(c, 36) < base);
}

/** True if the gold is `digits_base` (with digits valid in that base) and the prediction the same digits without the base. */
export function sameDigitsWithoutBase(pred: string, gold: string): boolean {
  const mg = BASED.exec(gold);
  if (!mg || BASED.test(pred)) return false;
  const base = Number(mg[2]);
  return base >= 2 && validDigits(mg[1], base) && DIGITS.test(pred) && mg[1] === pred;
}
