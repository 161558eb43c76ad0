/**
 * `JSON.parse` that keeps integers beyond 2^53 exact, for OTLP/JSON's 64-bit fields.
 */

/**
 * Integer literals with at least this many digits may exceed `Number.MAX_SAFE_INTEGER`
 * (9007199254740991 has 16); shorter ones are always exact as doubles.
 */
const MIN_UNSAFE_DIGITS = 16;

// A big integer literal right after `:`, `,` or `[` is the only thing that needs protecting. Most
// bodies (those from the OpenTelemetry SDKs, which write 64-bit integers as strings) contain none,
// and one native regex test is far cheaper than scanning the text in JavaScript.
const BARE_BIG_INTEGER = /[:,[]\s*-?\d{16}/;

/**
 * Parses JSON text like `JSON.parse`, except that every integer literal (outside strings) long
 * enough to lose precision as a double is returned as its decimal string instead, e.g.
 * `{"t": 1700000000123456789}` → `{ t: "1700000000123456789" }`. Numbers with a fraction or an
 * exponent are left to `JSON.parse`.
 *
 * Callers read such fields as "an integer given as a number or a decimal string", which is how
 * the protobuf JSON mapping treats 64-bit integers anyway.
 *
 * @throws {SyntaxError} when the text is not valid JSON.
 */
export function parseLosslessJson(text: string): unknown {
  if (!BARE_BIG_INTEGER.test(text)) return JSON.parse(text);
  return JSON.parse(quoteBigIntegers(text));
}

/** Wraps every bare big integer literal of `text` (outside strings) in double quotes. */
export function quoteBigIntegers(text: string): string {
  const length = text.length;
  let output = '';
  let copiedUpTo = 0;
  let index = 0;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === 0x22 /* " */) {
      index = endOfString(text, index + 1);
      continue;
    }
    if (code !== 0x2d /* - */ && !isDigit(code)) {
      index++;
      continue;
    }
    const start = index;
    index++;
    let digits = code === 0x2d ? 0 : 1;
    let isInteger = true;
    for (; index < length; index++) {
      const next = text.charCodeAt(index);
      if (isDigit(next)) digits++;
      else if (next === 0x2e /* . */ || next === 0x65 /* e */ || next === 0x45 /* E */ || next === 0x2b /* + */ || next === 0x2d) {
        isInteger = false;
      } else break;
    }
    const firstDigit = code === 0x2d ? start + 1 : start;
    // A leading zero makes the literal invalid JSON; quoting it would hide that from JSON.parse.
    if (isInteger && digits >= MIN_UNSAFE_DIGITS && text.charCodeAt(firstDigit) !== 0x30) {
      output += `${text.slice(copiedUpTo, start)}"${text.slice(start, index)}"`;
      copiedUpTo = index;
    }
  }
  return copiedUpTo === 0 ? text : output + text.slice(copiedUpTo);
}

/** The index just past the closing quote of the string whose contents start at `index`. */
function endOfString(text: string, index: number): number {
  for (;;) {
    const quote = text.indexOf('"', index);
    // An unterminated string: leave the error to JSON.parse.
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if ((backslashes & 1) === 0) return quote + 1;
    index = quote + 1;
  }
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}
