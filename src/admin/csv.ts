import { stringify } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import type { Lead } from '../store/index.js';
import type { ImportRowError } from '../leads/import-csv.js';

// A cell starting with one of these is read as a formula by spreadsheets (tab and
// carriage return too, in some of them).
const FORMULA_START = /^[=+\-@\t\r]/;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Makes a cell safe to open in a spreadsheet: a value starting with `=`, `+`, `-`,
 * `@`, a tab or a carriage return gets a leading `'`, so it shows as text instead of
 * running as a formula. One exception, decided on purpose: a phone number in strict
 * E.164 (`+` and 7 to 15 digits, which is how every stored phone is kept) stays as
 * it is. It cannot carry a formula (nothing but digits follows the `+`), and keeping
 * it bare means an exported file imports again unchanged. Everything people typed,
 * names, tags and rejected phone cells included, is neutralized.
 */
export function csvSafeCell(value: string): string {
  if (E164.test(value)) return value;
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Rows to CSV text (RFC 4180 quoting), every cell through {@link csvSafeCell}. */
export function toCsv(header: string[], rows: string[][]): Buffer {
  const safe = rows.map((row) => row.map(csvSafeCell));
  return Buffer.from(stringify([header, ...safe]), 'utf8');
}

/** Header of the lead export; the import reads phone, name, status and tags back. */
export const LEAD_EXPORT_HEADER = [
  'phone',
  'name',
  'status',
  'temperature',
  'tags',
  'opted_out_at',
  'last_inbound_at',
  'source',
  'created_at',
];

/** One lead as a row of the export, times in `timeZone` (ISO 8601 with offset). */
export function leadRow(lead: Lead, timeZone: string): string[] {
  const time = (at?: Date | null) =>
    at ? (DateTime.fromJSDate(at, { zone: timeZone }).toISO() ?? '') : '';
  return [
    lead.phone,
    lead.name,
    lead.status,
    lead.temperature,
    lead.tags.join(', '),
    time(lead.optedOutAt),
    time(lead.lastInboundAt),
    lead.source,
    time(lead.createdAt),
  ];
}

/** The rows an import refused, as CSV: line, reason and what the row held. */
export function badRowsCsv(errors: ImportRowError[]): Buffer {
  return toCsv(
    ['line', 'reason', 'phone', 'name', 'status', 'tags'],
    errors.map((e) => [
      String(e.line),
      e.reason,
      e.row.phone,
      e.row.name,
      e.row.status,
      e.row.tags,
    ]),
  );
}
