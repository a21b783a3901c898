import type { Api, RawApi } from 'grammy';
import type { CampaignFigures } from '../events.js';
import type { Logger } from '../log.js';
import type { Clock } from '../domain/time.js';
import { isNotModified } from './errors.js';
import { formatTime, html, joinHtml, type Html, progressBar } from './html.js';

/** Shortest time between two edits of one progress message, in ms (3 s; Telegram limits edits). */
export const PROGRESS_INTERVAL_MS = 3000;

interface Tracked {
  title: string;
  startedAt: number;
  figures?: CampaignFigures;
  messageIds: Map<number, number>;
  lastEditAt: number;
  timer?: NodeJS.Timeout;
  chain: Promise<void>;
}

/** What the progress tracker needs. */
export interface ProgressDeps {
  api: Api<RawApi>;
  adminIds: readonly number[];
  timeZone: string;
  clock: Clock;
  log: Logger;
  /** The campaign's title and start time, when the first figures arrive unannounced. */
  describeCampaign(campaignId: string): Promise<{ title: string; startedAt?: Date } | null>;
  intervalMs?: number;
}

/**
 * Shows a running campaign's progress as one message per admin, edited in place: a
 * bar, the counts and the expected finish (from the pace so far). Edits at most
 * every {@link PROGRESS_INTERVAL_MS}; the latest figures always end up shown.
 * Telegram failures are logged, never thrown.
 */
export class CampaignProgress {
  private readonly tracked = new Map<string, Tracked>();
  private readonly intervalMs: number;

  constructor(private readonly deps: ProgressDeps) {
    this.intervalMs = deps.intervalMs ?? PROGRESS_INTERVAL_MS;
  }

  /** Starts tracking a campaign (its progress message appears with the first figures). */
  begin(campaignId: string, title: string): void {
    if (this.tracked.has(campaignId)) return;
    this.tracked.set(campaignId, this.newTracked(title, this.deps.clock.now().getTime()));
  }

  /** New figures: shown now, or at the end of the current interval. */
  update(campaignId: string, figures: CampaignFigures): void {
    void this.ensureTracked(campaignId).then((tracked) => {
      if (!tracked) return;
      tracked.figures = figures;
      if (tracked.timer) return;
      const wait = tracked.lastEditAt + this.intervalMs - this.deps.clock.now().getTime();
      if (wait <= 0) this.render(campaignId, tracked, false);
      else tracked.timer = setTimeout(() => this.render(campaignId, tracked, false), wait);
    });
  }

  /** Final figures: the message shows them at once and tracking ends. */
  async finish(campaignId: string, figures: CampaignFigures): Promise<void> {
    const tracked = this.tracked.get(campaignId);
    if (!tracked) return;
    tracked.figures = figures;
    this.render(campaignId, tracked, true);
    this.tracked.delete(campaignId);
    await tracked.chain;
  }

  /** Drops every pending edit. */
  stop(): void {
    for (const tracked of this.tracked.values()) clearTimeout(tracked.timer);
    this.tracked.clear();
  }

  private newTracked(title: string, startedAt: number): Tracked {
    return { title, startedAt, messageIds: new Map(), lastEditAt: 0, chain: Promise.resolve() };
  }

  private async ensureTracked(campaignId: string): Promise<Tracked | undefined> {
    const known = this.tracked.get(campaignId);
    if (known) return known;
    const campaign = await this.deps.describeCampaign(campaignId).catch(() => null);
    if (!campaign || this.tracked.has(campaignId)) return this.tracked.get(campaignId);
    const startedAt = campaign.startedAt?.getTime() ?? this.deps.clock.now().getTime();
    this.tracked.set(campaignId, this.newTracked(campaign.title, startedAt));
    return this.tracked.get(campaignId);
  }

  private render(campaignId: string, tracked: Tracked, finished: boolean): void {
    clearTimeout(tracked.timer);
    tracked.timer = undefined;
    tracked.lastEditAt = this.deps.clock.now().getTime();
    const text = this.describe(tracked, finished).value;
    tracked.chain = tracked.chain.then(() => this.show(campaignId, tracked, text));
  }

  private async show(campaignId: string, tracked: Tracked, text: string): Promise<void> {
    for (const adminId of this.deps.adminIds) {
      const messageId = tracked.messageIds.get(adminId);
      try {
        if (messageId === undefined) {
          const sent = await this.deps.api.sendMessage(adminId, text, { parse_mode: 'HTML' });
          tracked.messageIds.set(adminId, sent.message_id);
        } else {
          await this.deps.api.editMessageText(adminId, messageId, text, { parse_mode: 'HTML' });
        }
      } catch (error) {
        if (!isNotModified(error)) {
          this.deps.log.warn(
            { err: error, campaignId, adminId },
            'could not show campaign progress',
          );
        }
      }
    }
  }

  private describe(tracked: Tracked, finished: boolean): Html {
    const f = tracked.figures!;
    const done = f.sent + f.failed + f.cancelled;
    const percent = f.total > 0 ? Math.floor((done / f.total) * 100) : 100;
    const waiting = f.pending + f.queued + f.unknown;
    const cancelled = f.cancelled ? ` · cancelled ${f.cancelled}` : '';
    const lines = [
      html`<b>${tracked.title}</b>: ${finished ? 'finished' : 'sending'}`,
      html`${progressBar(done, f.total)} ${percent}% (${done} of ${f.total})`,
      html`sent ${f.sent} · failed ${f.failed} · waiting ${waiting}${cancelled}`,
      html`delivered ${f.delivered} · read ${f.read}`,
    ];
    if (!finished) lines.push(html`${this.expectedFinish(tracked, done, f.total)}`);
    return joinHtml(lines);
  }

  private expectedFinish(tracked: Tracked, done: number, total: number): string {
    const now = this.deps.clock.now().getTime();
    const elapsed = now - tracked.startedAt;
    if (done === 0 || elapsed <= 0) return 'expected finish: estimating…';
    const remainingMs = ((total - done) * elapsed) / done;
    return `expected finish: ${formatTime(new Date(now + remainingMs), this.deps.timeZone)}`;
  }
}
