import { Composer } from 'grammy';
import type { AdminContext, AdminKit, AdminModule } from '../src/admin/context.js';

/** Sequences commands. */
export function sequenceCommands(_kit: AdminKit): AdminModule {
  return { composer: new Composer<AdminContext>(), help: { title: 'Sequences', lines: [] } };
}
