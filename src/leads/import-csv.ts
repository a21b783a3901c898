import { Readable } from 'node:stream';
import { parse, type Info } from 'csv-parse';
import type { LeadRepository, Lead } from '../store/leads.js';
import { normalizePhone, type CountryCode } from '../domain/phone.js';
import { LEAD_STATUSES, type LeadStatus } from '../domain/status.js';

/** Largest file accepted, in bytes (5 MB). */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/** Most data rows accepted in one file. */
export const MAX_IMPORT_ROWS = 50_000;

const WRITE_BATCH = 500;

/** A row that was not imported: its line in the file, why, and what it held. */
export interface ImportRowError {
  line: number;
  reason: string;
  row: { phone: string; name: string; status: string; tags: string };
}

/** What an import did. A second import of the same file reports everything unchanged. */
export interface ImportReport {
  /** Data rows read (empty lines not counted). */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  errors: ImportRowError[];
}

/** The whole file was refused (too big, no phone column, unreadable); nothing was written. */
export class ImportRejectedError extends Error {
  override name = 'ImportRejectedError';
}

/** Options for {@link importLeadsCsv}. */
export interface ImportOptions {
  /** Country for numbers written without a country code. */
  defaultCountry?: CountryCode;
  /** Stored as the lead's `source` for new leads (default `csv`). */
  source?: string;
  maxBytes?: number;
  maxRows?: number;
}

type Column = 'phone' | 'name' | 'status' | 'tags';

const HEADER_ALIASES: Record<string, Column> = {
  phone: 'phone',
  'phone number': 'phone',
  phonenumber: 'phone',
  number: 'phone',
  mobile: 'phone',
  whatsapp: 'phone',
  telephone: 'phone',
  tel: 'phone',
  name: 'name',
  'full name': 'name',
  fullname: 'name',
  status: 'status',
  tags: 'tags',
  tag: 'tags',
};

interface GoodRow {
  line: number;
  phone: string;
  name?: string;
  status?: LeadStatus;
  tags: string[];
}

/**
 * Imports leads from CSV: a header row names the columns (`phone`, `name`, `status`,
 * `tags`; any case, spaces around, a byte-order mark; comma or semicolon separated;
 * only `phone` is required). Every good row is imported: a new number becomes a
 * lead, a known one is updated (name and status when given, tags added). Each bad
 * row is reported with its line number and reason. The file is read as a stream and
 * refused whole, before anything is written, once it passes `maxBytes` (5 MB) or
 * `maxRows` (50,000) rows.
 */
export async function importLeadsCsv(
  leads: LeadRepository,
  input: Readable | Buffer,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const { good, errors, rows } = await readRows(input, options);
  const report: ImportReport = { rows, created: 0, updated: 0, unchanged: 0, errors };

  for (let start = 0; start < good.length; start += WRITE_BATCH) {
    const counts = await writeBatch(leads, good.slice(start, start + WRITE_BATCH), options);
    report.created += counts.created;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
  }
  return report;
}

async function readRows(input: Readable | Buffer, options: ImportOptions) {
  const maxBytes = options.maxBytes ?? MAX_IMPORT_BYTES;
  const maxRows = options.maxRows ?? MAX_IMPORT_ROWS;
  if (Buffer.isBuffer(input) && input.length > maxBytes) throw tooBig(maxBytes);

  const source = Buffer.isBuffer(input) ? Readable.from([input]) : input;
  const chunks = limitBytes(source, maxBytes);
  const first = await chunks.next();
  if (first.done)
    throw new ImportRejectedError('the file is empty: it needs a header row with a phone column');

  const parser = parse({
    bom: true,
    delimiter: guessDelimiter(first.value),
    columns: false,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  });
  const feeding = feed(parser, first.value, chunks);

  const good: GoodRow[] = [];
  const errors: ImportRowError[] = [];
  const firstLineOf = new Map<string, number>();
  let columns: (Column | undefined)[] | undefined;
  let rows = 0;

  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: Info;
    }>) {
      if (!columns) {
        columns = mapHeader(record);
        continue;
      }
      if (record.every((cell) => cell === '')) continue;
      if (++rows > maxRows) {
        throw new ImportRejectedError(
          `the file has more than ${maxRows} rows; split it into smaller files`,
        );
      }
      const line = info.lines;
      const checked = checkRow(cellsByColumn(columns, record), line, firstLineOf, options);
      if ('reason' in checked) errors.push(checked);
      else good.push(checked);
    }
    await feeding;
  } catch (error) {
    parser.destroy();
    await feeding.catch(() => undefined);
    if (error instanceof ImportRejectedError) throw error;
    throw new ImportRejectedError(`the file is not readable CSV: ${(error as Error).message}`);
  }
  if (!columns)
    throw new ImportRejectedError('the file is empty: it needs a header row with a phone column');
  return { good, errors, rows };
}

async function* limitBytes(source: AsyncIterable<Buffer | string>, maxBytes: number) {
  let total = 0;
  for await (const chunk of source) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buffer.length;
    if (total > maxBytes) throw tooBig(maxBytes);
    yield buffer;
  }
}

async function feed(parser: ReturnType<typeof parse>, first: Buffer, rest: AsyncGenerator<Buffer>) {
  try {
    if (!parser.write(first)) await waitDrain(parser);
    for await (const chunk of rest) {
      if (!parser.write(chunk)) await waitDrain(parser);
    }
    parser.end();
  } catch (error) {
    parser.destroy(error as Error);
    throw error;
  }
}

function waitDrain(parser: ReturnType<typeof parse>): Promise<void> {
  return new Promise((done) => parser.once('drain', done));
}

function tooBig(maxBytes: number): ImportRejectedError {
  const mb = (maxBytes / 1024 / 1024).toFixed(0);
  return new ImportRejectedError(`the file is larger than ${mb} MB; split it into smaller files`);
}

/** Semicolon when the header line has more semicolons than commas (spreadsheets in many locales). */
function guessDelimiter(head: Buffer): string {
  const firstLine = head.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  const count = (char: string) => firstLine.split(char).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

function mapHeader(record: string[]): (Column | undefined)[] {
  const columns = record.map(
    (cell) =>
      HEADER_ALIASES[
        cell
          .replace(/^\uFEFF/, '')
          .trim()
          .toLowerCase()
      ],
  );
  if (!columns.includes('phone')) {
    throw new ImportRejectedError(
      `no phone column in the header (found: ${record.join(', ') || 'nothing'}); ` +
        'name the columns phone, name, status, tags',
    );
  }
  return columns;
}

function cellsByColumn(columns: (Column | undefined)[], record: string[]) {
  const row = { phone: '', name: '', status: '', tags: '' };
  columns.forEach((column, index) => {
    if (column && !row[column]) row[column] = (record[index] ?? '').trim();
  });
  return row;
}

function checkRow(
  row: ImportRowError['row'],
  line: number,
  firstLineOf: Map<string, number>,
  options: ImportOptions,
): GoodRow | ImportRowError {
  if (!row.phone) return { line, reason: 'missing phone', row };
  const phone = normalizePhone(row.phone, options.defaultCountry);
  if (!phone.ok) return { line, reason: phone.reason, row };

  const status = row.status.toLowerCase();
  if (status && !LEAD_STATUSES.includes(status as LeadStatus)) {
    return {
      line,
      reason: `unknown status "${row.status}": use ${LEAD_STATUSES.join(' or ')}`,
      row,
    };
  }
  const seen = firstLineOf.get(phone.e164);
  if (seen !== undefined)
    return { line, reason: `repeated in the file (first on line ${seen})`, row };
  firstLineOf.set(phone.e164, line);

  const tags = row.tags
    .split(/[|,;]/)
    .map((tag) => tag.trim().toLowerCase())
    .filter(Boolean);
  return {
    line,
    phone: phone.e164,
    name: row.name ? row.name.slice(0, 200) : undefined,
    status: (status || undefined) as LeadStatus | undefined,
    tags: [...new Set(tags)],
  };
}

async function writeBatch(leads: LeadRepository, batch: GoodRow[], options: ImportOptions) {
  const known = new Map<string, Lead>(
    (await leads.model.find({ phone: { $in: batch.map((row) => row.phone) } }).lean<Lead[]>()).map(
      (lead) => [lead.phone, lead],
    ),
  );
  const counts = { created: 0, updated: 0, unchanged: 0 };
  const fresh = batch.filter((row) => !known.has(row.phone));

  if (fresh.length) {
    const now = new Date();
    const docs = fresh.map((row) => ({
      phone: row.phone,
      name: row.name ?? '',
      status: row.status ?? 'prospect',
      temperature: 'cold',
      tags: row.tags,
      source: options.source ?? 'csv',
      createdAt: now,
      updatedAt: now,
    }));
    counts.created += await insertIgnoringDuplicates(leads, docs);
  }

  for (const row of batch) {
    const lead = known.get(row.phone);
    if (!lead) continue;
    const set: Partial<Lead> = {};
    if (row.name && row.name !== lead.name) set.name = row.name;
    if (row.status && row.status !== lead.status) set.status = row.status;
    const newTags = row.tags.filter((tag) => !lead.tags.includes(tag));
    if (newTags.length) set.tags = [...lead.tags, ...newTags];
    if (Object.keys(set).length === 0) {
      counts.unchanged++;
      continue;
    }
    await leads.update(lead._id, set);
    counts.updated++;
  }
  return counts;
}

async function insertIgnoringDuplicates(leads: LeadRepository, docs: object[]): Promise<number> {
  try {
    return (await leads.model.collection.insertMany(docs, { ordered: false })).insertedCount;
  } catch (error) {
    const inserted = (error as { result?: { insertedCount?: number } }).result?.insertedCount;
    if (typeof inserted === 'number') return inserted;
    throw error;
  }
}
