// Column-by-column working of one addition or subtraction, as the careful corpus style writes it:
// units first, each column "x+y=s" or "x+y+1=s" (carry in), "x-y=d" or "1x-y-1=d" (borrow),
// the shorter number padded with 0. Every written digit depends on at most three single digits,
// which is what makes the style learnable by a tiny character-level model.
import type { AddSub } from './arithmetic.js';

function digitsOf(n: number, width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    out.push(n % 10);
    n = Math.floor(n / 10);
  }
  return out; // least significant first
}

/** e.g. columnWork(47, '+', 38) === "7+8=15, 4+3+1=8"; columnWork(85, '-', 19) === "15-9=6, 8-1-1=6". */
export function columnWork(a: number, op: AddSub, b: number): string {
  if (a < 0 || b < 0 || (op === '-' && b > a)) throw new RangeError(`columnWork needs non-negative operands and a >= b for '-', got ${a}${op}${b}`);
  const width = Math.max(String(a).length, String(b).length);
  const da = digitsOf(a, width);
  const db = digitsOf(b, width);
  const parts: string[] = [];
  let carry = 0;
  for (let i = 0; i < width; i++) {
    if (op === '+') {
      const s = da[i] + db[i] + carry;
      parts.push(`${da[i]}+${db[i]}${carry ? '+1' : ''}=${s}`);
      carry = s >= 10 ? 1 : 0;
    } else {
      const need = da[i] - db[i] - carry < 0;
      const top = need ? da[i] + 10 : da[i];
      const d = top - db[i] - carry;
      parts.push(`${top}-${db[i]}${carry ? '-1' : ''}=${d}`);
      carry = need ? 1 : 0;
    }
  }
  return parts.join(', ');
}
