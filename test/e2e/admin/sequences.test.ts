import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN } from '../../../src/domain/send-window.js';
import { ManualClock } from '../../../src/domain/time.js';
import { silentLogger } from '../../../src/log.js';
import { SequenceService } from '../../../src/sequences/service.js';
import type { BotMessage } from '../../support/fake-telegram.js';
import { ADMIN, useAdminBot } from './harness.js';

// Sunday 6 Dec 2026, 09:00 in Madrid.
const clock = new ManualClock(new Date('2026-12-06T08:00:00Z'));

const h = useAdminBot('admin_sequences', ({ store }) => ({
  deps: {
    clock,
    sequences: new SequenceService({
      store,
      log: silentLogger,
      clock,
      timing: { defaultTimeZone: 'Europe/Madrid', sendWindow: ALWAYS_OPEN },
    }),
  },
}));

async function press(message: BotMessage, label: string): Promise<void> {
  const button = h.tg.buttons(message).find((b) => b.text.startsWith(label));
  if (!button) throw new Error(`no button "${label}" under: ${message.text}`);
  h.tg.pressButton(ADMIN, message, button.data);
}

function next(test: (m: BotMessage) => boolean): Promise<BotMessage> {
  return h.tg.waitFor(ADMIN.id, test);
}

describe('/sequence_new, step by step', () => {
  it('creates a sequence with two steps after a wrong day', async () => {
    expect((await h.tg.ask(ADMIN, '/sequence_new')).text).toContain('What is its name?');
    expect((await h.tg.ask(ADMIN, 'Welcome')).text).toContain('Which words');
    const match = await h.tg.ask(ADMIN, 'price, info');
    await press(match, 'Contains');

    const day1 = await next((m) => m.text.startsWith('On which day'));
    await press(day1, 'Day 1, at once');
    await next((m) => m.text.startsWith('The text of this step'));
    const more = await h.tg.ask(
      ADMIN,
      'Hi {{first_name|there}}, 50% off (today only) - reply STOP.',
    );
    expect(more.text).toBe('Step 1 saved in the draft. Add another step?');
    await press(more, 'Add a step');

    await next((m) => m.text.startsWith('On which day') && m.messageId > more.messageId);
    expect((await h.tg.ask(ADMIN, '1')).text).toBe(
      'This step comes after day 1; give a later day.\nTry again, or /cancel to stop.',
    );
    expect((await h.tg.ask(ADMIN, 'day 3 at 10:00')).text).toContain('The text of this step');
    const again = await h.tg.ask(ADMIN, 'Still interested, {{first_name}}?');
    await press(again, 'Done, save it');

    const saved = await next((m) => m.text.startsWith('Saved. It is on'));
    expect(saved.text).toContain('Welcome · on');
    expect(saved.text).toContain('Trigger: “price”, “info” (contains)');
    expect(saved.text).toContain(
      '1. day 1, at enrollment time: Hi {{first_name|there}}, 50% off (today only) - reply STOP.',
    );
    expect(saved.text).toContain('2. day 3 at 10:00: Still interested, {{first_name}}?');
    expect(await h.store.sequences.findByName('Welcome')).toMatchObject({
      trigger: { keywords: ['price', 'info'], match: 'contains' },
      totalDays: 3,
    });
  });

  it('refuses a name that is taken and asks again', async () => {
    await h.tg.ask(ADMIN, '/sequence_new');
    const reply = await h.tg.ask(ADMIN, 'welcome');
    expect(reply.text).toContain('A sequence called "welcome" exists; choose another name.');
    await h.tg.ask(ADMIN, '/cancel');
  });
});

describe('/sequence_new on one line', () => {
  it('creates a sequence with its first step', async () => {
    const reply = await h.tg.ask(
      ADMIN,
      '/sequence_new Reactivation | - | 2 09:30 | We miss you {{first_name}}',
    );
    expect(reply.text).toContain('Reactivation · on');
    expect(reply.text).toContain('Trigger: none: leads join only with /enroll');
    expect(reply.text).toContain('1. day 2 at 09:30: We miss you {{first_name}}');
  });

  it('lists what is wrong', async () => {
    const reply = await h.tg.ask(ADMIN, '/sequence_new Broken | - | soon | Hi {{nmae}}');
    expect(reply.text).toContain('Not saved. Fix these and try again:');
    expect(reply.text).toContain('"soon" is not a step day');
  });
});

describe('steps', () => {
  it('adds a step in day order from one line', async () => {
    const reply = await h.tg.ask(ADMIN, '/step_add Welcome | 2 | A tip for day two');
    expect(reply.text).toMatch(
      /1\. day 1.*\n2\. day 2, at enrollment time: A tip for day two\n3\. day 3 at 10:00/,
    );
  });

  it('refuses a second step on the same day', async () => {
    const reply = await h.tg.ask(ADMIN, '/step_add Welcome | 2 | Another');
    expect(reply.text).toContain('Not changed. Fix these and try again:');
    expect(reply.text).toContain('day 2 must come after day 2');
  });

  it('edits a step through the questions, keeping its day', async () => {
    await h.tg.ask(ADMIN, '/step_edit');
    const which = await h.tg.ask(ADMIN, 'welcome');
    expect(which.text).toContain(
      'Which step? Send its number:\n1. day 1, at enrollment time\n2. day 2',
    );
    const day = await h.tg.ask(ADMIN, '2');
    await press(day, 'Keep: day 2');
    await next((m) => m.text.startsWith('The text of this step') && m.messageId > day.messageId);
    const saved = await h.tg.ask(ADMIN, 'A better tip <for> day two & more');
    expect(saved.text).toContain('2. day 2, at enrollment time: A better tip <for> day two & more');
  });

  it('removes a step, and refuses a step that does not exist', async () => {
    expect((await h.tg.ask(ADMIN, '/step_remove Welcome 9')).text).toContain(
      'there is no such step: "Welcome" has steps 1 to 3',
    );
    const reply = await h.tg.ask(ADMIN, '/step_remove Welcome 2');
    expect(reply.text).toContain('2. day 3 at 10:00');
    expect((await h.store.sequences.findByName('Welcome'))?.steps).toHaveLength(2);
  });
});

describe('enrollment', () => {
  it('enrolls a lead and says when the first step goes', async () => {
    await h.store.leads.create({ phone: '+34600000001', name: 'Ana García' });
    const reply = await h.tg.ask(ADMIN, '/enroll +34 600 000 001 Welcome');
    expect(reply.text).toBe(
      'Enrolled Ana García in "Welcome". The first step goes Sun 6 Dec 2026, 09:00.',
    );
  });

  it('says when the lead is already in it', async () => {
    const reply = await h.tg.ask(ADMIN, '/enroll +34600000001 | welcome');
    expect(reply.text).toBe('Ana García is already in "Welcome" (next: step 1 of 2).');
  });

  it('keeps an enrolled lead on the step they had not reached when steps come and go', async () => {
    const welcome = (await h.store.sequences.findByName('Welcome'))!;
    const lead = (await h.store.leads.findByPhone('+34600000001'))!;
    const position = async () =>
      (await h.store.enrollments.findLatest(welcome._id, lead._id))?.currentStep;
    // As if the tick had sent day 1: the next step is day 3 (index 1).
    await h.store.enrollments.model.updateOne(
      { sequenceId: welcome._id },
      { $set: { currentStep: 1 } },
    );

    await h.tg.ask(ADMIN, '/step_add Welcome | 2 | Inserted before day 3');
    expect(await position()).toBe(2);
    await h.tg.ask(ADMIN, '/step_remove Welcome 2');
    expect(await position()).toBe(1);
    await h.store.enrollments.model.updateOne(
      { sequenceId: welcome._id },
      { $set: { currentStep: 0 } },
    );
  });

  it('refuses a sequence that is off and says how to turn it on', async () => {
    expect((await h.tg.ask(ADMIN, '/sequence_off Reactivation')).text).toContain(
      '"Reactivation" is off',
    );
    const reply = await h.tg.ask(ADMIN, '/enroll +34600000001 Reactivation');
    expect(reply.text).toBe('Not enrolled: "Reactivation" is paused; activate it to enroll leads.');
  });

  it('asks for the phone and the sequence when /enroll comes alone, and re-asks a bad phone', async () => {
    await h.tg.ask(ADMIN, '/sequence_on Reactivation');
    await h.tg.ask(ADMIN, '/enroll');
    expect((await h.tg.ask(ADMIN, 'nobody')).text).toContain('letters are not allowed');
    expect((await h.tg.ask(ADMIN, '+34600000001')).text).toContain('Which sequence?');
    expect((await h.tg.ask(ADMIN, 'Reactivation')).text).toMatch(
      /^Enrolled Ana García in "Reactivation"/,
    );
  });

  it('takes a lead out and cancels its pending steps', async () => {
    const reply = await h.tg.ask(ADMIN, '/unenroll +34600000001 Welcome');
    expect(reply.text).toBe(
      'Took Ana García out of "Welcome"; the steps not yet sent are cancelled.',
    );
    expect((await h.tg.ask(ADMIN, '/unenroll +34600000001 Welcome')).text).toContain(
      'is not in "Welcome" right now',
    );
  });

  it('says when the lead or the sequence does not exist', async () => {
    expect((await h.tg.ask(ADMIN, '/enroll +34699999999 Welcome')).text).toContain(
      'There is no lead with the number +34699999999',
    );
    expect((await h.tg.ask(ADMIN, '/enroll +34600000001 Nope')).text).toBe(
      'There is no sequence called "Nope"; /sequences lists them.',
    );
  });
});

describe('/sequence and /step_edit on one line', () => {
  it('shows a sequence by name in any case, and says when there is none', async () => {
    expect((await h.tg.ask(ADMIN, '/sequence reactivation')).text).toContain('Reactivation · on');
    expect((await h.tg.ask(ADMIN, '/sequence Nope')).text).toBe(
      'There is no sequence called "Nope"; /sequences lists them.',
    );
  });

  it('changes a step from one line, and explains a bad step number', async () => {
    const reply = await h.tg.ask(
      ADMIN,
      '/step_edit Reactivation | 1 | 2 10:00 | Come back, {{first_name}}',
    );
    expect(reply.text).toContain('1. day 2 at 10:00: Come back, {{first_name}}');
    const bad = await h.tg.ask(ADMIN, '/step_edit Reactivation | first | 2 | Hi');
    expect(bad.text).toContain('• "first" is not a step number');
    expect(bad.text).toContain('Write it as /step_edit Sequence | step number | day [time] | text');
  });
});

describe('/sequences and /sequence', () => {
  it('lists sequences with buttons that open each one', async () => {
    const list = await h.tg.ask(ADMIN, '/sequences');
    expect(list.text).toContain('Sequences (2), page 1 of 1');
    expect(list.text).toMatch(/Welcome · on · 2 step\(s\) over 3 day\(s\) · 0 active/);
    await press(list, 'Welcome');
    const card = await next(
      (m) => m.text.startsWith('Welcome · on') && m.messageId > list.messageId,
    );
    expect(card.text).toContain('Enrollments: 0 active, 0 completed, 1 stopped, 0 failed');
    await press(card, 'Turn off');
    await next((m) => m.text.startsWith('"Welcome" is off'));
    expect((await h.store.sequences.findByName('Welcome'))?.active).toBe(false);
  });
});
