/**
 * Why a line is not JSON, and where: the problem and its column, never the text around it. JSON.parse's own
 * messages quote the input ("Unexpected token 'P', "Patient …" is not valid JSON"), and inbox lines and
 * annotation files hold clinical notes, so their reasons are written here instead. Called only after
 * JSON.parse has refused the line; an iterative scanner, so a deeply nested line costs no stack.
 */
export interface JsonSyntaxProblem {
  /** 1-based column (UTF-16 code unit) where the line stops being JSON. */
  column: number;
  problem: string;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function jsonSyntaxProblem(text: string): JsonSyntaxProblem {
  let pos = 0;
  const fail = (problem: string, at = pos): JsonSyntaxProblem => ({ column: at + 1, problem });
  const skipWhitespace = (): void => {
    while (pos < text.length && WHITESPACE.has(text[pos] as string)) pos++;
  };
  /** Scans a string from its opening quote; returns a problem or undefined. */
  const scanString = (): JsonSyntaxProblem | undefined => {
    const start = pos;
    pos++;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        pos++;
        return undefined;
      }
      if (c === 0x5c) {
        const next = text[pos + 1];
        if (next === 'u') {
          if (!HEX4.test(text.slice(pos + 2, pos + 6))) return fail('invalid \\u escape in a string');
          pos += 6;
        } else if (next !== undefined && ESCAPES.has(next)) pos += 2;
        else return fail(next === undefined ? 'a string is not closed' : 'invalid escape sequence in a string', next === undefined ? start : pos);
        continue;
      }
      if (c < 0x20) return fail('a control character (raw tab or line break) inside a string; it must be escaped');
      pos++;
    }
    return fail('a string is not closed', start);
  };
  /** Scans a scalar value or opens a container; returns a problem, or the container opened. */
  const scanValueStart = (): JsonSyntaxProblem | '{' | '[' | undefined => {
    const c = text[pos];
    if (c === undefined) return fail('the line ends where a value should be');
    if (c === '{' || c === '[') {
      pos++;
      return c;
    }
    if (c === '"') return scanString();
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = pos;
      const match = NUMBER.exec(text);
      if (!match) return fail('an invalid number');
      pos += match[0].length;
      return undefined;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, pos)) {
        pos += literal.length;
        return undefined;
      }
    }
    return fail('an unexpected character where a value should start');
  };

  // The open containers, innermost last; after a value, the innermost decides what may follow.
  const open: ('{' | '[')[] = [];
  skipWhitespace();
  let expectValue = true;
  for (;;) {
    if (expectValue) {
      const started = scanValueStart();
      if (typeof started === 'object') return started;
      if (started === '{') {
        skipWhitespace();
        if (text[pos] === '}') pos++;
        else {
          open.push('{');
          const key = scanKey();
          if (key) return key;
          continue;
        }
      } else if (started === '[') {
        skipWhitespace();
        if (text[pos] === ']') pos++;
        else {
          open.push('[');
          continue;
        }
      }
      expectValue = false;
    }
    skipWhitespace();
    const container = open[open.length - 1];
    if (container === undefined) {
      return pos < text.length ? fail('more characters after the JSON value') : fail('no problem found by the scanner; JSON.parse refused the line');
    }
    const c = text[pos];
    if (c === ',') {
      pos++;
      skipWhitespace();
      if (container === '{') {
        const key = scanKey();
        if (key) return key;
      }
      expectValue = true;
      continue;
    }
    if ((container === '{' && c === '}') || (container === '[' && c === ']')) {
      pos++;
      open.pop();
      continue;
    }
    if (c === undefined) return fail(`the line ends inside ${container === '{' ? 'an object' : 'an array'}`);
    return fail(container === '{' ? "expected ',' or '}' after a property value" : "expected ',' or ']' after an array element");
  }

  /** A property name and its colon; leaves pos at the value. */
  function scanKey(): JsonSyntaxProblem | undefined {
    if (text[pos] !== '"') return fail(text[pos] === undefined ? 'the line ends inside an object' : 'expected a property name in double quotes');
    const problem = scanString();
    if (problem) return problem;
    skipWhitespace();
    if (text[pos] !== ':') return fail("expected ':' after a property name");
    pos++;
    skipWhitespace();
    return undefined;
  }
}

/** The reason given for a line JSON.parse refused: the problem and its column, nothing of the line. */
export function describeJsonSyntax(text: string): string {
  const { column, problem } = jsonSyntaxProblem(text);
  return `not valid JSON: ${problem} (column ${column})`;
}
