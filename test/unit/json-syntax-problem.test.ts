import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeJsonSyntax, jsonSyntaxProblem } from '../../src/corpus/json-syntax-problem.js';
import { parseNoteLine } from '../../src/corpus/inbox.js';

const SECRET = 'ZEBRA-7731-Jane-Roe';
const FALLBACK = /no problem found/;

describe('jsonSyntaxProblem: why a line is not JSON, and where, without quoting it', () => {
  it.each([
    [`${SECRET} has asthma`, 1, /unexpected character where a value should start/],
    [`{"id": "n1", "text": "${SECRET}" x}`, 44, /expected ',' or '}' after a property value/],
    [`{"id": "n1", "text": "${SECRET}`, 22, /a string is not closed/],
    [`{"id": "n1", "text": "${SECRET}\tx"}`, 42, /control character/],
    [`{"id": "n1", "text": "${SECRET}\\q"}`, 42, /invalid escape sequence/],
    [`{"id": "n1", "text": "\\u12G4 ${SECRET}"}`, 23, /invalid \\u escape/],
    [`{"id" "n1", "text": "${SECRET}"}`, 7, /expected ':' after a property name/],
    [`{"id": "n1", ${SECRET}}`, 14, /expected a property name in double quotes/],
    [`["${SECRET}",]`, 24, /unexpected character where a value should start/],
    [`{"id": "n1"}} ${SECRET}`, 13, /more characters after the JSON value/],
    [`{"id": -x}`, 8, /invalid number/],
    [`{"id": "n1", "text": ["${SECRET}"`, 44, /the line ends inside an array/],
    ['', 1, /the line ends where a value should be/],
  ])('%j', (line, column, problem) => {
    expect(() => JSON.parse(line)).toThrow();
    const found = jsonSyntaxProblem(line);
    expect(found).toEqual({ column, problem: expect.stringMatching(problem) });
    expect(describeJsonSyntax(line)).not.toContain(SECRET.slice(0, 5));
  });

  it('finds the problem of any line JSON.parse refuses (broken JSON: cut, a character inserted or removed)', () => {
    const broken = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('cut', 'insert', 'remove'), fc.constantFrom('"', ',', ':', '}', ']', '{', '[', '\\', 'x', '\t', '-', '0'))
      .map(([json, at, how, char]) => {
        const i = json.length === 0 ? 0 : at % json.length;
        return how === 'cut' ? json.slice(0, i) : how === 'insert' ? json.slice(0, i) + char + json.slice(i) : json.slice(0, i) + json.slice(i + 1);
      });
    fc.assert(
      fc.property(broken, (line) => {
        let refused = false;
        try {
          JSON.parse(line);
        } catch {
          refused = true;
        }
        if (!refused) return;
        const { column, problem } = jsonSyntaxProblem(line);
        expect(problem).not.toMatch(FALLBACK);
        expect(column).toBeGreaterThanOrEqual(1);
        expect(column).toBeLessThanOrEqual(line.length + 1);
      }),
      { numRuns: 3_000 },
    );
  });

  it('handles a line nested 100,000 levels deep without running out of stack', () => {
    expect(jsonSyntaxProblem('['.repeat(100_000))).toEqual({ column: 100_001, problem: 'the line ends where a value should be' });
  });

  it('is what an inbox line is reported with', () => {
    expect(parseNoteLine(`{"id": "n1", "text": "${SECRET}`)).toEqual({ problem: 'not valid JSON: a string is not closed (column 22)' });
  });
});
