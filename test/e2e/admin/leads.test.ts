import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { BotMessage, FakeFile } from '../../support/fake-telegram.js';
import { ADMIN, useAdminBot } from './harness.js';

const h = useAdminBot('admin_leads');

function csvRows(message: BotMessage): string[][] {
  return parse((message.document as FakeFile).data.toString('utf8')) as string[][];
}

describe('/lead_add', () => {
  it('adds a lead from one line and shows its card', async () => {
    const reply = await h.tg.ask(
      ADMIN,
      '/lead_add +34 600 111 222 | Ana García | customer | vip, madrid',
    );
    expect(reply.text).toContain('Added:');
    expect(reply.text).toContain('Ana García +34600111222');
    expect(reply.text).toContain('Status: customer · temperature: cold');
    expect(reply.text).toContain('Tags: vip, madrid');
    expect(await h.store.leads.findByPhone('+34600111222')).toMatchObject({
      name: 'Ana García',
      status: 'customer',
    });
  });

  it('refuses a bad number and says how to write it', async () => {
    const reply = await h.tg.ask(ADMIN, '/lead_add 12ab34 | Bob');
    expect(reply.text).toContain('Bad number "12ab34": letters are not allowed.');
    expect(reply.text).toContain('/lead_add phone | name | status | tags');
  });

  it('refuses a number that is already a lead', async () => {
    const reply = await h.tg.ask(ADMIN, '/lead_add 600111222');
    expect(reply.text).toContain('+34600111222 is already a lead');
  });

  it('asks one question at a time when typed alone, and asks again after a bad answer', async () => {
    const first = await h.tg.ask(ADMIN, '/lead_add');
    expect(first.text).toContain('What is the phone number?');

    const again = await h.tg.ask(ADMIN, 'not a phone');
    expect(again.text).toMatch(/letters are not allowed\.\nTry again, or \/cancel to stop\./);

    const name = await h.tg.ask(ADMIN, '+34 611 222 333');
    expect(name.text).toContain('Their name?');
    h.tg.pressButton(ADMIN, name, h.tg.buttons(name).find((b) => b.text === 'No name')!.data);
    const status = await h.tg.waitFor(ADMIN.id, (m) => m.text.startsWith('Prospect or customer?'));
    h.tg.pressButton(ADMIN, status, h.tg.buttons(status)[0]!.data);
    await h.tg.waitFor(ADMIN.id, (m) => m.text.startsWith('Tags'));
    const done = await h.tg.ask(ADMIN, 'spring, Promo');
    expect(done.text).toContain('Added:');
    expect(await h.store.leads.findByPhone('+34611222333')).toMatchObject({
      name: '',
      status: 'prospect',
      tags: ['spring', 'promo'],
    });
  });

  it('leaves the questions on /cancel without saving', async () => {
    await h.tg.ask(ADMIN, '/lead_add');
    const reply = await h.tg.ask(ADMIN, '/cancel');
    expect(reply.text).toBe('Cancelled: the new lead was not saved.');
    const after = await h.tg.ask(ADMIN, '+34 622 000 111');
    expect(after.text).toContain('I answer commands');
    expect(await h.store.leads.findByPhone('+34622000111')).toBeNull();
  });
});

describe('/lead, /lead_status and /lead_tag', () => {
  it('shows a lead by any way of writing its number', async () => {
    const reply = await h.tg.ask(ADMIN, '/lead 0034 600-111-222');
    expect(reply.text).toContain('Ana García +34600111222');
  });

  it('says when there is no such lead and how to add it', async () => {
    const reply = await h.tg.ask(ADMIN, '/lead +34 699 999 999');
    expect(reply.text).toBe(
      'There is no lead with the number +34699999999; add it with /lead_add.',
    );
  });

  it('changes a status and says what it was', async () => {
    const reply = await h.tg.ask(ADMIN, '/lead_status +34 600 111 222 prospect');
    expect(reply.text).toBe('Ana García is now a prospect (was a customer).');
  });

  it('refuses an unknown status and lists the valid ones', async () => {
    const reply = await h.tg.ask(ADMIN, '/lead_status +34600111222 vip');
    expect(reply.text).toBe('"vip" is not a status: use prospect or customer.');
  });

  it('asks for the phone and status when /lead_status comes alone', async () => {
    expect((await h.tg.ask(ADMIN, '/lead_status')).text).toContain('Which lead?');
    expect((await h.tg.ask(ADMIN, '+34600111222')).text).toContain('prospect or customer');
    expect((await h.tg.ask(ADMIN, 'customer')).text).toBe(
      'Ana García is now a customer (was a prospect).',
    );
  });

  it('adds and removes tags', async () => {
    const reply = await h.tg.ask(ADMIN, '/lead_tag +34 600 111 222 +gold -madrid');
    expect(reply.text).toBe('Tags of Ana García: vip, gold');
  });

  it('refuses a tag change without + or -', async () => {
    const reply = await h.tg.ask(ADMIN, '/lead_tag +34600111222 gold');
    expect(reply.text).toContain('Give the phone number and then tags like +vip -old.');
    expect(reply.text).toContain('Write it as /lead_tag <phone> +tag -tag');
  });

  it('shows names with HTML characters exactly as written', async () => {
    await h.tg.ask(ADMIN, '/lead_add +34 633 444 555 | <b>Tom & "Jerry"</b>');
    const reply = await h.tg.ask(ADMIN, '/lead +34633444555');
    expect(reply.text).toContain('<b>Tom & "Jerry"</b> +34633444555');
  });
});

describe('/leads', () => {
  it('counts leads by status and temperature', async () => {
    const reply = await h.tg.ask(ADMIN, '/leads');
    expect(reply.text).toContain('Leads: 3 (0 opted out');
    expect(reply.text).toContain('By status: prospect 2 · customer 1');
    expect(reply.text).toContain('By temperature: cold 3 · warm 0 · hot 0');
  });
});

describe('CSV import', () => {
  it('imports the good rows and answers with counts, bad lines and a file of them', async () => {
    const csv = [
      'phone,name,status,tags',
      '+34 655 000 001,Carla,prospect,fair',
      '655000002,Dani,customer,',
      'call me,Eva,,',
      '+34600111222,Ana García,,',
      ',No Phone,,',
      '+34 655 000 003,Fede,boss,',
    ].join('\n');
    h.tg.sendDocument(ADMIN, { filename: 'fair.csv', content: csv });

    const reply = await h.tg.waitFor(ADMIN.id, (m) => m.text.startsWith('Imported fair.csv'));
    expect(reply.text).toContain('Imported fair.csv: 6 row(s).');
    expect(reply.text).toContain('2 new, 0 updated, 1 unchanged, 3 with problems.');
    expect(reply.text).toContain('line 4: bad number "call me": letters are not allowed');
    expect(reply.text).toContain('line 6: missing phone');
    expect(reply.text).toContain('line 7: unknown status "boss": use prospect or customer');

    const file = await h.tg.waitFor(ADMIN.id, (m) => m.kind === 'document');
    expect(csvRows(file).map((row) => row[0])).toEqual(['line', '4', '6', '7']);
    expect(await h.store.leads.findByPhone('+34655000002')).toMatchObject({
      name: 'Dani',
      status: 'customer',
    });
  });

  it('refuses a file without a phone column and writes nothing', async () => {
    const before = await h.store.leads.count();
    h.tg.sendDocument(ADMIN, { filename: 'names.csv', content: 'name\nZoe\n' });
    const reply = await h.tg.waitFor(ADMIN.id, (m) =>
      m.text.startsWith('Nothing was imported from names.csv'),
    );
    expect(reply.text).toContain('no phone column in the header (found: name)');
    expect(await h.store.leads.count()).toBe(before);
  });

  it('asks for a .csv file when another document arrives', async () => {
    h.tg.sendDocument(ADMIN, {
      filename: 'photo.pdf',
      content: '%PDF',
      mimeType: 'application/pdf',
    });
    await h.tg.waitFor(ADMIN.id, (m) => m.text.startsWith('To import leads, send a .csv file'));
  });
});

describe('/export_leads', () => {
  it('sends every lead as CSV with formulas made inert and phones kept importable', async () => {
    await h.tg.ask(ADMIN, '/lead_add +34 677 888 999 | =HYPERLINK("http://x") | prospect | promo');
    const after = h.tg.mark();
    h.tg.sendText(ADMIN, '/export_leads');
    const file = await h.tg.waitFor(ADMIN.id, (m) => m.kind === 'document' && m.messageId > after);

    expect((file.document as FakeFile).filename).toMatch(/^leads-\d{4}-\d{2}-\d{2}\.csv$/);
    const rows = csvRows(file);
    expect(rows[0]).toEqual(
      expect.arrayContaining(['phone', 'name', 'status', 'temperature', 'tags']),
    );
    const formula = rows.find((row) => row[0] === '+34677888999');
    expect(formula?.[1]).toBe(`'=HYPERLINK("http://x")`);
    expect(rows.length - 1).toBe(await h.store.leads.count());
  });
});
