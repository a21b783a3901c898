import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { importLeadsCsv, ImportRejectedError } from '../../../src/leads/import-csv.js';
import { useTestStore } from '../../support/db.js';

const ctx = useTestStore('import_csv');

// A spreadsheet export from a semicolon locale, with a byte-order mark.
const FILE = [
  '\uFEFF Phone ;NAME; Status ;Tags',
  '+1 (201) 555-0101;Ana Ruiz;prospect;vip|spring',
  '(201) 555-0102;Ben Ode;customer;',
  '+12015550103;Cleo;lead;',
  'not-a-number;Dan;prospect;',
  '',
  '+1 201 555 0101;Ana again;prospect;',
  ';Nobody;prospect;',
  '+44 20 7946 0958;Eve;;uk',
].join('\r\n');

describe('importLeadsCsv', () => {
  it('imports the good rows and reports each bad one with its line', async () => {
    const report = await importLeadsCsv(ctx.store.leads, Buffer.from(FILE), {
      defaultCountry: 'US',
    });

    expect(report).toMatchObject({ rows: 7, created: 3, updated: 0, unchanged: 0 });
    expect(report.errors.map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 4, reason: 'unknown status "lead": use prospect or customer' },
      { line: 5, reason: 'bad number "not-a-number": letters are not allowed' },
      { line: 7, reason: 'repeated in the file (first on line 2)' },
      { line: 8, reason: 'missing phone' },
    ]);
    expect(await ctx.store.leads.findByPhone('+12015550101')).toMatchObject({
      name: 'Ana Ruiz',
      status: 'prospect',
      temperature: 'cold',
      tags: ['vip', 'spring'],
      source: 'csv',
    });
    expect(await ctx.store.leads.findByPhone('+12015550102')).toMatchObject({ status: 'customer' });
    expect(await ctx.store.leads.findByPhone('+442079460958')).toMatchObject({
      name: 'Eve',
      status: 'prospect',
      tags: ['uk'],
    });
  });

  it('changes nothing when the same file is imported again', async () => {
    const before = await ctx.store.leads.model.find({}).sort({ phone: 1 }).lean();
    const report = await importLeadsCsv(ctx.store.leads, Readable.from([Buffer.from(FILE)]), {
      defaultCountry: 'US',
    });
    expect(report).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(await ctx.store.leads.model.find({}).sort({ phone: 1 }).lean()).toEqual(before);
  });

  it('updates a known lead instead of adding a second one', async () => {
    const csv = 'phone,name,status,tags\n+12015550102,Ben O.,prospect,returning\n';
    const report = await importLeadsCsv(ctx.store.leads, Buffer.from(csv));
    expect(report).toMatchObject({ created: 0, updated: 1 });
    expect(await ctx.store.leads.model.countDocuments({ phone: '+12015550102' })).toBe(1);
    expect(await ctx.store.leads.findByPhone('+12015550102')).toMatchObject({
      name: 'Ben O.',
      status: 'prospect',
      tags: ['returning'],
    });
  });

  it('reports a local number as needing a country code when none is configured', async () => {
    const report = await importLeadsCsv(ctx.store.leads, Buffer.from('phone\n2015550109\n'));
    expect(report.errors[0]?.reason).toMatch(/no country code.*DEFAULT_COUNTRY/);
  });

  it('refuses a file over the size limit before writing anything', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `+1201555${String(i).padStart(4, '0')},x`);
    const big = Buffer.from(['phone,name', ...rows].join('\n'));
    const count = await ctx.store.leads.count();
    await expect(
      importLeadsCsv(
        ctx.store.leads,
        Readable.from([big.subarray(0, 20_000), big.subarray(20_000)]),
        {
          maxBytes: 30_000,
        },
      ),
    ).rejects.toThrow(/larger than/);
    expect(await ctx.store.leads.count()).toBe(count);
  });

  it('refuses a file over the row limit before writing anything', async () => {
    const rows = Array.from(
      { length: 30 },
      (_, i) => `+1201555${String(i + 200).padStart(4, '0')}`,
    );
    const count = await ctx.store.leads.count();
    await expect(
      importLeadsCsv(ctx.store.leads, Buffer.from(['phone', ...rows].join('\n')), { maxRows: 20 }),
    ).rejects.toThrow('the file has more than 20 rows; split it into smaller files');
    expect(await ctx.store.leads.count()).toBe(count);
  });

  it('refuses a file without a phone column, naming the columns it found', async () => {
    await expect(importLeadsCsv(ctx.store.leads, Buffer.from('mobil,nom\n1,2\n'))).rejects.toThrow(
      ImportRejectedError,
    );
    await expect(importLeadsCsv(ctx.store.leads, Buffer.from('mobil,nom\n1,2\n'))).rejects.toThrow(
      /found: mobil, nom/,
    );
  });
});
