import { Composer } from 'grammy';
import type { AdminContext, AdminKit, AdminModule } from '../src/admin/context.js';

/** Campaigns commands. */
export function campaignCommands(_kit: AdminKit): AdminModule {
  return { composer: new Composer<AdminContext>(), help: { title: 'Campaigns', lines: [] } };
}
