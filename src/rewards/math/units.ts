// Units after an answer are dropped ("5 cm", "12 \text{ dollars}", "3 square feet", "5cm^2"):
// aha does not check units, a wrong number is still wrong. A letter after a number is a
// variable unless it is marked as text: "3s^2", "2ab" and "5 m" are expressions, while
// "5\text{ m}" and "10\,\mathrm{m/s}" carry units. Times of day ("9 a.m.") keep their tail,
// which tells 9 a.m. from 9 p.m.

/** The value part that may carry a unit: it ends in a digit, a closing brace or bracket, or \pi. */
const VALUE_END = /(?:[\d})\]]|\\pi)$/;

/** A unit inside \text{…} (also \mbox, \mathrm, …), optionally squared or cubed, at the very end. */
const TEXT_UNIT = /^(.*?\S)\s*\\(?:text|mbox|mathrm|textnormal|textrm|textit|operatorname)\s*\{\s*([A-Za-z][A-Za-z./\s]*?(?:\^\s*\{?[23]\}?)?)\s*\}\s*(?:\^\s*\{?\s*[23]\s*\}?)?\s*$/;
/** Single-letter units: metre, gram, second, litre, hour, kelvin, newton, joule, watt, volt. */
const SINGLE_LETTER_UNITS = /^[mgsLlhKNJWV]$/;
/** Words kept although they sit in \text: they change the answer (percent) or are times of day. */
const KEPT_TEXT = /^(?:per\s*cent|percent|[ap]\.?\s*m\.?)$/i;
/**
 * Words after a number that change its value or hedge it, so they are never a unit to drop:
 * "18 thousand", "5 cubed", "2 dozen", "3 or more", "(2) twice", "18 not", "3 approximately", "2 sqrt",
 * "\frac{1}{2}\text{ of it}".
 */
const NOT_UNITS = new RegExp(
  String.raw`\b(?:${[
    'hundreds?', 'thousands?', 'millions?', 'billions?', 'trillions?', 'dozens?', 'squared', 'cubed', 'halves', 'half', 'thirds?', 'quarters?',
    'times', 'twice', 'thrice', 'more', 'less', 'fewer', 'least', 'most', 'or', 'and', 'not', 'no', 'minimum', 'maximum', 'approximately',
    'approx', 'about', 'around', 'roughly', 'nearly', 'almost', 'over', 'under', 'above', 'below', 'plus', 'minus',
    'tenths?', 'hundredths?', 'thousandths?', 'sqrt', 'sin', 'cos', 'tan', 'log', 'ln', 'exp', 'of', 'is', 'it', 'true', 'false',
  ].join('|')})\b`,
  'i',
);
/** Units a compound (m/s, km/h, mi/hr, ft/s) is made of: other letters around a slash are a ratio of variables (x/y). */
const COMPOUND_PARTS = 'm|s|km|h|hr|hrs|hour|hours|mi|mile|miles|ft|cm|mm|in|yd|kg|g|mg|lb|lbs|oz|L|l|mL|ml|min|sec|day|days|week|weeks|year|years|gal|sq|kWh|W|J|N|mol';
const COMPOUND_UNIT = new RegExp(String.raw`^(?:${COMPOUND_PARTS})\s*/\s*(?:${COMPOUND_PARTS})(?:\^\{?[23]\}?)?$`);

/** "12 \text{ dollars}" -> "12", before \text wrappers are unwrapped (so single-letter units are known as units). */
export function stripTextUnit(s: string): string {
  const m = TEXT_UNIT.exec(s);
  if (!m) return s;
  const head = m[1].trim();
  const unit = m[2].trim();
  if (!VALUE_END.test(head) || KEPT_TEXT.test(unit) || NOT_UNITS.test(unit)) return s;
  if (unit.includes('/') && !COMPOUND_UNIT.test(unit)) return s;
  // A single upright letter is a unit only if it names one (\mathrm{m}); \mathrm{i} and \mathrm{e} are constants.
  if (/^[A-Za-z]$/.test(unit) && !SINGLE_LETTER_UNITS.test(unit)) return s;
  return head;
}

/** Two-letter unit abbreviations; longer words are taken as units or counted nouns ("7 apples"). */
const SHORT_UNITS = 'cm|mm|km|kg|mg|ml|mL|ft|yd|mi|lb|oz|hr|in';
const RAW_WORD = String.raw`(?:[A-Za-z]{3,}|${SHORT_UNITS})\.?(?:\s*\^\s*\{?[23]\}?)?`;
/** A compound unit: m/s, km/h, mi/hr. */
const RAW_COMPOUND = String.raw`[A-Za-z]+\s*/\s*[A-Za-z]+`;
const RAW_TAIL = new RegExp(String.raw`^(.*?\S)((?:\s+(?:${RAW_COMPOUND}|${RAW_WORD}))+)\s*$`);
const GLUED_UNITS = new RegExp(String.raw`^(-?[\d.]+)(?:${SHORT_UNITS}|sec|min|hrs|lbs)(?:\^\{?[23]\}?)?$`);

/** Removes plain-text units after a number: "5 cm", "3 square feet", "5cm^2", "10 m/s". */
export function stripRawUnits(s: string): string {
  const glued = GLUED_UNITS.exec(s);
  if (glued) return glued[1];
  const m = RAW_TAIL.exec(s);
  if (!m) return s;
  const head = m[1].trim();
  // Only when what remains is a value ("x = 5 cm" keeps its '=' structure intact).
  if (!VALUE_END.test(head) || /[=,]$/.test(head)) return s;
  // "3 and 5", "18 thousand", "3 or more": connectives and scaling or hedging words are not units.
  if (NOT_UNITS.test(m[2])) return s;
  // "10 m/s" drops its unit; "2 x/y" is a ratio of variables.
  const compounds = m[2].match(new RegExp(RAW_COMPOUND, 'g')) ?? [];
  if (compounds.some((c) => !COMPOUND_UNIT.test(c))) return s;
  return head;
}
