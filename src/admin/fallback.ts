import { Composer } from 'grammy';
import { replyHtml, type AdminContext, type AdminModule } from './context.js';
import { html } from './html.js';

/**
 * The last handlers: what no module took. A button from an old message, an
 * unknown command (with the nearest known one), a photo or text outside a wizard.
 */
export function fallbackHandlers(modules: readonly AdminModule[]): Composer<AdminContext> {
  const composer = new Composer<AdminContext>();
  const known = () =>
    modules.flatMap((m) => m.help.lines.map(([command]) => command.split(' ')[0]!));

  composer.on('callback_query', async (ctx) => {
    await ctx.answerCallbackQuery({
      text: 'That button is no longer active; run the command again.',
    });
  });

  composer.on('message:text', async (ctx) => {
    const command = /^\/[A-Za-z0-9_]+/.exec(ctx.message.text)?.[0];
    if (!command) {
      await ctx.reply('I answer commands: send /help to see them.');
      return;
    }
    const near = nearest(command.toLowerCase(), known());
    const hint = near ? html` Did you mean ${near}?` : html``;
    await replyHtml(ctx, html`I do not know ${command}.${hint} /help lists every command.`);
  });

  composer.on('message:photo', async (ctx) => {
    await ctx.reply(
      'To put a photo in a campaign, start with /campaign_new and send it when I ask.',
    );
  });

  composer.on('message', async (ctx) => {
    await ctx.reply('I cannot use that here. Send /help to see what I can do.');
  });
  return composer;
}

/** The known command closest to `typed` by edit distance, when it is close (2 edits or fewer). */
function nearest(typed: string, commands: string[]): string | undefined {
  let best: { command: string; distance: number } | undefined;
  for (const command of commands) {
    const distance = editDistance(typed, command);
    if (distance <= 2 && (!best || distance < best.distance)) best = { command, distance };
  }
  return best?.command;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
