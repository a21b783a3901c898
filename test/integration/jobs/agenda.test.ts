import { afterAll, describe, expect, it } from 'vitest';
import { createAgenda, type Agenda } from '../../../src/jobs/agenda.js';
import { useTestStore } from '../../support/db.js';

const ctx = useTestStore('agenda');
let agenda: Agenda | undefined;

afterAll(async () => {
  await agenda?.stop();
});

describe('createAgenda on the test server', () => {
  it('runs a job scheduled now', async () => {
    agenda = createAgenda(ctx.store.connection, { processEveryMs: 200 });
    const ran = new Promise<string>((done) => {
      agenda!.define('probe', async (job) => done((job.attrs.data as { word: string }).word));
    });
    await agenda.start();
    await agenda.now('probe', { word: 'hello' });
    expect(await ran).toBe('hello');
  });
});
