import { createConversation } from '@grammyjs/conversations';
import type { Composer, Context, MiddlewareFn } from 'grammy';
import type { Parsed } from '../domain/when.js';
import { commandArgs, type AdminContext, type AdminConversation } from './context.js';
import { ANSWER_TIMEOUT_MS, Form, textAnswer, type Question } from './form.js';
import { html, sentence } from './html.js';

/** A command that takes arguments on its line, or asks for them when typed bare. */
export interface ArgCommand {
  command: string;
  /** What one line looks like, shown when it cannot be read: `/lead <phone>`. */
  usage: string;
  /** The questions asked, in order, when the command comes without arguments. */
  questions: Question<string>[];
  /** Splits one line of arguments into the answers, or says why it cannot. */
  split(args: string): Parsed<string[]>;
  /** Does the work with the answers and replies; may refuse with a reply of its own. */
  run(ctx: Context, answers: string[]): Promise<void>;
}

/**
 * Registers commands that work both ways: `/lead_status +34600111222 customer` runs
 * at once; `/lead_status` alone asks each argument in turn (one conversation per
 * module, named `id`), then runs the same code.
 */
export class ArgCommands {
  private readonly specs = new Map<string, ArgCommand>();

  constructor(private readonly id: string) {}

  /** Adds `spec` to `composer`. */
  register(composer: Composer<AdminContext>, spec: ArgCommand): void {
    this.specs.set(spec.command, spec);
    composer.command(spec.command, async (ctx) => {
      const line = commandArgs(ctx);
      if (!line) {
        await ctx.conversation.enter(this.id, spec.command);
        return;
      }
      const answers = spec.split(line);
      if (!answers.ok) {
        await ctx.reply(
          `${sentence(answers.reason)}\nWrite it as ${spec.usage}, or send ${spec.command} alone and I will ask.`,
        );
        return;
      }
      await spec.run(ctx, answers.value);
    });
  }

  /** The conversation that asks the arguments; install it with the module's conversations. */
  conversation(): MiddlewareFn<AdminContext> {
    const specs = this.specs;
    const builder = async (conversation: AdminConversation, ctx: Context, command: string) => {
      const spec = specs.get(command);
      if (!spec) return;
      const form = new Form(conversation, ctx, `/${command} question`);
      const answers: string[] = [];
      for (const question of spec.questions) answers.push(await form.ask(question));
      await conversation.external((outer) => spec.run(outer, answers));
    };
    return createConversation<AdminContext, Context>(builder, {
      id: this.id,
      maxMillisecondsToWait: ANSWER_TIMEOUT_MS,
    }) as MiddlewareFn<AdminContext>;
  }
}

/** A question answered by typing text, read with `parse`. */
export function textQuestion(
  text: string,
  parse: (text: string) => Parsed<string>,
): Question<string> {
  return { text: html`${text}`, read: textAnswer(parse) };
}

/** Checks a typed answer with `parse` and keeps the text as typed when it passes. */
export function checkedText<T>(
  parse: (text: string) => Parsed<T>,
): (text: string) => Parsed<string> {
  return (text) => {
    const parsed = parse(text);
    return parsed.ok ? { ok: true, value: text } : parsed;
  };
}

/** Accepts any non-empty text. */
export function anyText(text: string): Parsed<string> {
  return text ? { ok: true, value: text } : { ok: false, reason: 'the answer cannot be empty' };
}
