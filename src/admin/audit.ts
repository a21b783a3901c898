import type { Context, MiddlewareFn } from 'grammy';
import { maskPhone } from '../domain/phone.js';
import type { Logger } from '../log.js';
import type { AuditRepository } from '../store/audit.js';
import { updateKind } from './access.js';

// Runs of 7 to 15 digits, optionally with a leading + and spaces, dots, dashes or
// brackets between them: anything that could be a phone number. Not inside a word, so
// the digits of a hexadecimal id stay.
const PHONE_LIKE = /(?<!\w)\+?\d[\d\s().-]{5,18}\d(?!\w)/g;

/** Replaces anything that looks like a phone number with its last four digits. */
export function maskPhonesIn(text: string): string {
  return text.replace(PHONE_LIKE, (match) =>
    match.replace(/\D/g, '').length >= 7 ? maskPhone(match) : match,
  );
}

/** Writes admin actions to `audit_log`; a failed write is logged, never thrown. */
export class AuditTrail {
  constructor(
    private readonly audit: AuditRepository,
    private readonly log: Logger,
  ) {}

  /**
   * Records that admin `adminId` did `action` (dotted, e.g. `campaign.paused`), with
   * details. String details are passed through {@link maskPhonesIn}.
   */
  async record(
    adminId: number,
    action: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    const safe = Object.fromEntries(
      Object.entries(details).map(([k, v]) => [k, typeof v === 'string' ? maskPhonesIn(v) : v]),
    );
    await this.audit.record(adminId, action, safe).catch((error: unknown) => {
      this.log.error({ err: error, adminId, action }, 'could not write the audit log');
    });
  }

  /**
   * Middleware that records every command, button press, document and photo an
   * admin sends (after access control, so only admins reach it), before it is
   * handled. Plain text answers to questions are not recorded: what they lead to is.
   */
  middleware(): MiddlewareFn<Context> {
    return async (ctx, next) => {
      const kind = updateKind(ctx);
      if (ctx.from && kind !== 'text') {
        await this.record(ctx.from.id, `admin.${kind}`, describe(ctx));
      }
      await next();
    };
  }
}

function describe(ctx: Context): Record<string, unknown> {
  if (ctx.callbackQuery) return { data: ctx.callbackQuery.data ?? '' };
  const message = ctx.message;
  if (message?.document) {
    return { fileName: message.document.file_name ?? '', bytes: message.document.file_size ?? 0 };
  }
  if (message?.photo) return { caption: message.caption ?? '' };
  return { text: (message?.text ?? '').slice(0, 500) };
}
