import { InputFile, type Api, type RawApi } from 'grammy';
import type { AppEventMap, CampaignFigures } from '../events.js';
import type { TransportState } from '../transport/port.js';
import type { AdminKit } from './context.js';
import { html, type Html } from './html.js';
import { CampaignProgress } from './progress.js';
import { QR_CAPTION, renderQrPng } from './qr.js';

type Listener<K extends keyof AppEventMap> = (...args: AppEventMap[K]) => void;

/** Options for {@link Notifier}. */
export interface NotifierOptions {
  /** Shortest time between two edits of a progress message, in ms. */
  progressIntervalMs?: number;
}

/**
 * Tells admins what happens while nobody asks: the WhatsApp login QR (as an image,
 * replacing the previous one), WhatsApp ready or disconnected (once per change),
 * campaigns started, progressing (one message edited in place) and finished with
 * totals, sending paused and resumed, messages waiting in /review, and what leads
 * write when FORWARD_REPLIES is on.
 * A failure to notify is logged, never thrown.
 */
export class Notifier {
  private readonly listeners: [keyof AppEventMap, (...args: never[]) => void][] = [];
  private readonly progress: CampaignProgress;
  private readonly qrMessages = new Map<number, number>();
  private announcedState: TransportState | undefined;

  constructor(
    private readonly kit: AdminKit,
    private readonly api: Api<RawApi>,
    options: NotifierOptions = {},
  ) {
    this.progress = new CampaignProgress({
      api,
      adminIds: kit.config.ADMIN_TELEGRAM_IDS,
      timeZone: kit.config.ADMIN_TIMEZONE,
      clock: kit.clock,
      log: kit.log,
      intervalMs: options.progressIntervalMs,
      describeCampaign: async (id) => {
        const campaign = await kit.store.campaigns.findById(id);
        return campaign && { title: campaign.title, startedAt: campaign.startedAt };
      },
    });
  }

  /** Subscribes to the app events. */
  start(): void {
    this.on('wa-qr', (qr) => this.run('wa-qr', () => this.sendQr(qr)));
    this.on('wa-state', (state, reason) => this.run('wa-state', () => this.onState(state, reason)));
    this.on('campaign-started', (id, title, recipients) =>
      this.run('campaign-started', () => this.onCampaignStarted(id, title, recipients)),
    );
    this.on('campaign-progress', (id, figures) => this.progress.update(id, figures));
    this.on('campaign-finished', (id, title, figures) =>
      this.run('campaign-finished', () => this.onCampaignFinished(id, title, figures)),
    );
    this.on('sending-paused', (reason) =>
      this.run('sending-paused', () =>
        this.toAdmins(html`⏸ Sending is paused: ${reason}\nFix the cause, then /resume_all.`),
      ),
    );
    this.on('sending-resumed', () =>
      this.run('sending-resumed', () => this.toAdmins(html`▶️ Sending resumed.`)),
    );
    this.on('review-waiting', (count) =>
      this.run('review-waiting', () =>
        this.toAdmins(
          html`❓ ${count} message(s) may or may not have gone out. Decide in /review.`,
        ),
      ),
    );
    if (this.kit.config.FORWARD_REPLIES) {
      this.on('lead-replied', (leadId, text) =>
        this.run('lead-replied', () => this.onReply(leadId, text)),
      );
    }
  }

  /** Unsubscribes and drops pending progress edits. */
  stop(): void {
    for (const [event, listener] of this.listeners.splice(0)) {
      this.kit.events.off(event, listener as never);
    }
    this.progress.stop();
  }

  /** Renders the QR to PNG and sends it to every admin, deleting the one it replaces. */
  async sendQr(qr: string): Promise<void> {
    const png = await renderQrPng(qr);
    await this.eachAdmin('wa-qr', async (adminId) => {
      const sent = await this.api.sendPhoto(adminId, new InputFile(png, 'whatsapp-login.png'), {
        caption: QR_CAPTION,
      });
      await this.deleteQr(adminId);
      this.qrMessages.set(adminId, sent.message_id);
    });
  }

  private on<K extends keyof AppEventMap>(event: K, listener: Listener<K>): void {
    this.kit.events.on(event, listener as never);
    this.listeners.push([event, listener as never]);
  }

  private run(what: string, task: () => Promise<void>): void {
    task().catch((error: unknown) =>
      this.kit.log.warn({ err: error, event: what }, 'could not notify admins'),
    );
  }

  private async onState(state: TransportState, reason?: string): Promise<void> {
    if ((state !== 'ready' && state !== 'disconnected') || state === this.announcedState) return;
    this.announcedState = state;
    if (state === 'ready') {
      await Promise.all(
        this.kit.config.ADMIN_TELEGRAM_IDS.map((adminId) => this.deleteQr(adminId)),
      );
      await this.toAdmins(html`✅ WhatsApp is connected and ready to send.`);
    } else {
      const why = reason ? html` (${reason})` : html``;
      await this.toAdmins(
        html`⚠️ WhatsApp disconnected${why}. Sending waits until it is back; /status shows the state.`,
      );
    }
  }

  private async onCampaignStarted(id: string, title: string, recipients: number): Promise<void> {
    this.progress.begin(id, title);
    await this.toAdmins(
      html`🚀 Campaign <b>${title}</b> started: ${recipients} recipient(s). /campaign ${id}`,
    );
  }

  private async onCampaignFinished(id: string, title: string, f: CampaignFigures): Promise<void> {
    await this.progress.finish(id, f);
    const cancelled = f.cancelled ? `, ${f.cancelled} cancelled` : '';
    const totals = `${f.sent} sent, ${f.failed} failed${cancelled} of ${f.total}`;
    await this.toAdmins(
      html`🏁 Campaign <b>${title}</b> finished: ${totals}; ${f.delivered} delivered, ${f.read} read.
Details: /campaign ${id}`,
    );
  }

  private async onReply(leadId: string, text: string): Promise<void> {
    const lead = await this.kit.store.leads.findById(leadId);
    if (!lead) return;
    const who = lead.name ? `${lead.name} (${lead.phone})` : lead.phone;
    await this.toAdmins(html`💬 ${who} wrote: ${text.slice(0, 1000)}`);
  }

  private async deleteQr(adminId: number): Promise<void> {
    const previous = this.qrMessages.get(adminId);
    if (previous === undefined) return;
    this.qrMessages.delete(adminId);
    await this.api.deleteMessage(adminId, previous).catch(() => undefined);
  }

  private async toAdmins(text: Html): Promise<void> {
    await this.eachAdmin('notice', (adminId) =>
      this.api.sendMessage(adminId, text.value, {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      }),
    );
  }

  private async eachAdmin(
    what: string,
    send: (adminId: number) => Promise<unknown>,
  ): Promise<void> {
    for (const adminId of this.kit.config.ADMIN_TELEGRAM_IDS) {
      try {
        await send(adminId);
      } catch (error) {
        this.kit.log.warn({ err: error, adminId, notice: what }, 'could not notify an admin');
      }
    }
  }
}
