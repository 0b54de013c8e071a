import { describe, expect, it } from 'vitest';
import { readCsvRecords } from '../../src/corpus/csv-records.js';

const SECRET = 'ZEBRA-7731-Jane-Roe';
const ids = (reading: ReturnType<typeof readCsvRecords>) => reading.records.map((r) => [r.line, r.fields.id]);

describe('readCsvRecords: one bad record costs that record only', () => {
  it('keeps every good record before an unclosed quote in the last record, and reports that record', () => {
    const good = Array.from({ length: 100 }, (_, i) => `g${i},"note ${i}, with a comma"`);
    const reading = readCsvRecords(`id,text\n${good.join('\n')}\nbad,"${SECRET} never closed\n`);
    expect(reading.records).toHaveLength(100);
    expect(reading.records[99]).toEqual({ line: 101, fields: { id: 'g99', text: 'note 99, with a comma' } });
    expect(reading.problems).toEqual([{ line: 102, reason: expect.stringMatching(/quoted field opened here is never closed/) }]);
  });

  it('keeps the records after an unclosed quote in a middle record, whether later records are quoted or not', () => {
    for (const rest of ['3,"three"\n4,four\n', '3,three\n4,"four"\n', '3,three\n4,four\n']) {
      const reading = readCsvRecords(`id,text\n1,one\n2,"${SECRET}\n${rest}`);
      expect(ids(reading)).toEqual([[2, '1'], [4, '3'], [5, '4']]);
      expect(reading.problems).toEqual([{ line: 3, reason: expect.stringMatching(/quote/) }]);
    }
  });

  it('reports a record with too many or too few fields by its line and keeps the others', () => {
    const reading = readCsvRecords(`id,text\n1,one\n2,${SECRET}, treated\n3,"three\nlines"\n4\n5,five`);
    expect(ids(reading)).toEqual([[2, '1'], [4, '3'], [7, '5']]);
    expect(reading.problems).toEqual([
      { line: 3, reason: 'the record has 3 fields, the header 2 (a comma in a text must be inside quotes)' },
      { line: 6, reason: 'the record has 1 field, the header 2 (a comma in a text must be inside quotes)' },
    ]);
  });

  it('reports a quote inside an unquoted field, and a closing quote followed by text', () => {
    const reading = readCsvRecords(`id,text\n1,ab"${SECRET}\n2,"x "${SECRET}" y"\n3,three\n`);
    expect(ids(reading)).toEqual([[4, '3']]);
    expect(reading.problems.map((p) => [p.line, p.reason])).toEqual([
      [2, expect.stringMatching(/^a quote inside an unquoted field in column "text"/)],
      [3, expect.stringMatching(/^a closing quote is followed by other characters in column "text"/)],
    ]);
  });

  it('reads a BOM, CRLF line ends, quoted line breaks and doubled quotes, with the line each record starts on', () => {
    const reading = readCsvRecords('\uFEFFid,text\r\n1,"Gout; ""allopurinol""\r\nnext line"\r\n\r\n2,plain\r\n3,"a\nb\nc"\n4,last');
    expect(reading.header).toEqual(['id', 'text']);
    expect(reading.records).toEqual([
      { line: 2, fields: { id: '1', text: 'Gout; "allopurinol"\r\nnext line' } },
      { line: 5, fields: { id: '2', text: 'plain' } },
      { line: 6, fields: { id: '3', text: 'a\nb\nc' } },
      { line: 9, fields: { id: '4', text: 'last' } },
    ]);
    expect(reading.problems).toEqual([]);
  });

  it('skips a file whose header cannot be read, saying so once', () => {
    const reading = readCsvRecords(`"id,text\n1,${SECRET}\n`);
    expect(reading).toEqual({ header: [], records: [], problems: [{ line: 1, reason: expect.stringMatching(/^the header is not readable: .*; the file is skipped$/) }] });
  });

  it('never quotes a field in a reason', () => {
    const lines = [`1,"${SECRET}`, `2,${SECRET}"x`, `3,"${SECRET}"x`, `4,${SECRET},${SECRET}`, `5,"a""${SECRET}`, `6,${SECRET}`];
    for (let i = 0; i < lines.length; i++) {
      const others = lines.filter((_, j) => j !== i);
      const reading = readCsvRecords(`id,text\n${[lines[i], ...others].join('\n')}\n`);
      expect(reading.problems.length).toBeGreaterThan(0);
      expect(JSON.stringify(reading.problems)).not.toContain(SECRET.slice(0, 5));
    }
  });
});
