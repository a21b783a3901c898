import { join } from 'node:path';
import { CampaignService } from '../../src/campaigns/service.js';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import type { DispatcherSettings } from '../../src/dispatch/settings.js';
import type { RandomSource } from '../../src/domain/template.js';
import { systemClock, type Clock } from '../../src/domain/time.js';
import { AppEvents, type AppEventMap } from '../../src/events.js';
import { silentLogger } from '../../src/log.js';
import type { Lead, Store } from '../../src/store/index.js';
import type { LeadStatus } from '../../src/domain/status.js';
import {
  SimulatedTransport,
  type SimulatedTransportOptions,
} from '../../src/transport/simulated.js';
import { makePhone } from './builders.js';
import { testDispatcherSettings } from './sending.js';

const FIRST_NAMES = ['Ana', 'Bruno', 'Carla', 'Diego', 'Elena', 'Farid', 'Greta', 'Hugo'];

/** How many leads of each kind {@link seedLeads} creates. */
export interface LeadMix {
  prospects?: number;
  customers?: number;
  /** Prospects who opted out. */
  optedOut?: number;
}

/** Creates leads with distinct phones and names like "Ana 3 Lopez"; returns them all. */
export async function seedLeads(store: Store, mix: LeadMix): Promise<Lead[]> {
  const leads: Lead[] = [];
  const make = async (status: LeadStatus, optedOut: boolean) => {
    const i = leads.length;
    const first = `${FIRST_NAMES[i % FIRST_NAMES.length]}${i}`;
    const lead = await store.leads.create({ phone: makePhone(), name: `${first} Lopez`, status });
    if (optedOut) await store.leads.optOut(lead._id, new Date());
    leads.push({ ...lead, optedOutAt: optedOut ? new Date() : undefined });
  };
  for (let i = 0; i < (mix.prospects ?? 0); i++) await make('prospect', false);
  for (let i = 0; i < (mix.customers ?? 0); i++) await make('customer', false);
  for (let i = 0; i < (mix.optedOut ?? 0); i++) await make('prospect', true);
  return leads;
}

/** Records every admin event, in order, as `[name, ...args]`. */
export function recordEvents(events: AppEvents): Array<[keyof AppEventMap, ...unknown[]]> {
  const seen: Array<[keyof AppEventMap, ...unknown[]]> = [];
  const names: (keyof AppEventMap)[] = [
    'campaign-started',
    'campaign-progress',
    'campaign-finished',
    'sending-paused',
    'sending-resumed',
    'review-waiting',
  ];
  for (const name of names) {
    events.on(name, (...args: unknown[]) => seen.push([name, ...args]));
  }
  return seen;
}

/** Options for {@link SendingHarness}. */
export interface HarnessOptions {
  dir: string;
  settings?: Partial<DispatcherSettings>;
  transport?: Partial<SimulatedTransportOptions>;
  clock?: Clock;
  random?: RandomSource;
  /** The shortest campaign gap allowed, in seconds (default 0.01). */
  minDelayFloorSeconds?: number;
}

/** A simulated transport, a dispatcher and a campaign service over one test store. */
export class SendingHarness {
  readonly events = new AppEvents();
  readonly transport: SimulatedTransport;
  readonly dispatcher: Dispatcher;
  readonly campaigns: CampaignService;
  private stopAcks: (() => void) | undefined;

  constructor(
    readonly store: Store,
    options: HarnessOptions,
  ) {
    const clock = options.clock ?? systemClock;
    this.transport = new SimulatedTransport({
      outboxPath: join(options.dir, `outbox-${Date.now()}-${Math.random()}.jsonl`),
      ackDelaysMs: false,
      ...options.transport,
    });
    this.dispatcher = new Dispatcher({
      store,
      transport: this.transport,
      events: this.events,
      log: silentLogger,
      clock,
      settings: testDispatcherSettings(options.settings),
      random: options.random,
    });
    this.campaigns = new CampaignService({
      store,
      events: this.events,
      log: silentLogger,
      clock,
      rules: { minDelayFloorSeconds: options.minDelayFloorSeconds ?? 0.01 },
      wake: () => this.dispatcher.wake(),
    });
  }

  async start(): Promise<this> {
    await this.transport.start();
    this.stopAcks = this.campaigns.listenForAcks(this.transport);
    await this.dispatcher.start();
    return this;
  }

  async stop(): Promise<void> {
    this.stopAcks?.();
    await this.dispatcher.stop();
    await this.transport.stop();
  }
}
