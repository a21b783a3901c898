import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvSafeCell, toCsv } from '../../../src/admin/csv.js';

describe('csvSafeCell', () => {
  it('makes cells that start a formula inert with a leading quote', () => {
    for (const cell of ['=SUM(A1)', '+1+2', '-2+3', '@cmd', '\t=1', '\r=1']) {
      expect(csvSafeCell(cell)).toBe(`'${cell}`);
    }
  });

  it('keeps a strict E.164 phone number as it is, so the export imports again', () => {
    expect(csvSafeCell('+34600111222')).toBe('+34600111222');
  });

  it('neutralizes a phone cell that carries anything after the digits', () => {
    expect(csvSafeCell('+34600111222+cmd')).toBe(`'+34600111222+cmd`);
    expect(csvSafeCell('+1 (201) 555')).toBe(`'+1 (201) 555`);
  });

  it('leaves ordinary text alone', () => {
    expect(csvSafeCell('Ana García')).toBe('Ana García');
    expect(csvSafeCell('')).toBe('');
  });
});

describe('toCsv', () => {
  it('quotes commas, quotes and newlines so the file reads back', () => {
    const text = toCsv(['name', 'note'], [['Tom, "T"', 'line 1\nline 2']]).toString('utf8');
    expect(parse(text)).toEqual([
      ['name', 'note'],
      ['Tom, "T"', 'line 1\nline 2'],
    ]);
  });
});
