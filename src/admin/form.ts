import { InlineKeyboard, type Context } from 'grammy';
import type { Parsed } from '../domain/when.js';
import { replyHtml, type AdminConversation } from './context.js';
import { escapeHtml, html, Html, sentence } from './html.js';

/** How long a wizard waits for an answer before it is dropped, in ms (30 minutes). */
export const ANSWER_TIMEOUT_MS = 30 * 60_000;

/** A button offered with a question; pressing it answers with `value`. */
export interface Choice<T> {
  label: string;
  value: T;
}

/** One question of a wizard. */
export interface Question<T> {
  text: Html;
  /** Buttons, up to three per row; their values answer the question as they are. */
  choices?: Choice<T>[];
  /** Reads a typed answer: the value, or why to ask again. Without it only buttons answer. */
  read?: (answer: Context) => Parsed<T> | Promise<Parsed<T>>;
}

/**
 * Asks questions one at a time inside a conversation. A bad answer is explained
 * and the question asked again; `/cancel` leaves without saving; any other command
 * leaves the wizard and runs; a press of a button from another message is passed
 * on to the rest of the bot while the question keeps waiting.
 */
export class Form {
  private asked = 0;

  constructor(
    readonly conversation: AdminConversation,
    readonly ctx: Context,
    /** What the wizard makes, for "Left the ... without saving": e.g. `campaign form`. */
    readonly name: string,
  ) {}

  /** Asks `question` until it gets a good answer, and returns that answer. */
  async ask<T>(question: Question<T>): Promise<T> {
    const number = ++this.asked;
    const keyboard = question.choices ? choiceKeyboard(number, question.choices) : undefined;
    await replyHtml(this.ctx, question.text, keyboard ? { reply_markup: keyboard } : {});

    for (;;) {
      const answer = await this.conversation.wait();
      if (answer.callbackQuery) {
        const choice = pickedChoice(answer.callbackQuery.data, number, question.choices);
        if (!choice) await this.conversation.skip({ next: true });
        await this.confirmChoice(answer, question.text, choice!.label);
        return choice!.value;
      }
      await this.leaveOnCommand(answer);

      const result = question.read
        ? await question.read(answer)
        : ({ ok: false, reason: 'press one of the buttons above' } as const);
      if (result.ok) return result.value;
      await replyHtml(answer, html`${sentence(result.reason)}\nTry again, or /cancel to stop.`);
    }
  }

  private async confirmChoice(answer: Context, text: Html, label: string): Promise<void> {
    await answer.answerCallbackQuery();
    await answer
      .editMessageText(`${text.value}\n\n→ <b>${escapeHtml(label)}</b>`, { parse_mode: 'HTML' })
      .catch(() => undefined);
  }

  private async leaveOnCommand(answer: Context): Promise<void> {
    const command = /^\/([A-Za-z0-9_]+)/.exec(answer.message?.text ?? '')?.[1]?.toLowerCase();
    if (!command) return;
    if (command === 'cancel') {
      await answer.reply(`Cancelled: the ${this.name} was not saved.`);
      await this.conversation.halt();
    }
    await answer.reply(`Left the ${this.name} without saving.`);
    await this.conversation.halt({ next: true });
  }
}

function choiceKeyboard<T>(question: number, choices: Choice<T>[]): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  choices.forEach((choice, index) => {
    if (index > 0 && index % 3 === 0) keyboard.row();
    keyboard.text(choice.label, `f${question}:${index}`);
  });
  return keyboard;
}

function pickedChoice<T>(data: string | undefined, question: number, choices?: Choice<T>[]) {
  const match = /^f(\d+):(\d+)$/.exec(data ?? '');
  if (!match || Number(match[1]) !== question) return undefined;
  return choices?.[Number(match[2])];
}

/**
 * Reads a text answer with `parse`; other kinds of message (a photo, a sticker) are
 * asked again with a note that text is wanted.
 */
export function textAnswer<T>(
  parse: (text: string) => Parsed<T> | Promise<Parsed<T>>,
): (answer: Context) => Parsed<T> | Promise<Parsed<T>> {
  return (answer) => {
    const text = answer.message?.text;
    if (text === undefined) return { ok: false, reason: 'please answer with a text message' };
    return parse(text.trim());
  };
}

/** A text of 1 to `max` characters. */
export function plainText(what: string, max: number): (text: string) => Parsed<string> {
  return (text) => {
    if (!text) return { ok: false, reason: `the ${what} cannot be empty` };
    if (text.length > max)
      return {
        ok: false,
        reason: `the ${what} can be at most ${max} characters (this one has ${text.length})`,
      };
    return { ok: true, value: text };
  };
}
