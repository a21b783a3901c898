import type { RandomSource } from './template.js';

const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;

/** A gap drawn uniformly from [minSeconds, maxSeconds], in ms. */
export function drawGapMs(minSeconds: number, maxSeconds: number, random: RandomSource): number {
  const low = Math.max(0, Math.min(minSeconds, maxSeconds));
  const high = Math.max(low, maxSeconds);
  return Math.round((low + (high - low) * random()) * 1000);
}

/**
 * How long to wait before retrying after the `attempt`-th try failed: `baseMs`
 * doubled per attempt (base, 2x, 4x...), at most `maxMs`.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs = 15 * 60_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Hourly and daily send caps over rolling windows (the last 60 minutes, the last 24
 * hours), counted in memory from the send times recorded here. Seed it with the send
 * times already in the database when a process starts.
 */
export class SendCaps {
  private times: number[];

  constructor(
    private readonly hourlyCap: number,
    private readonly dailyCap: number,
    seed: Date[] = [],
  ) {
    this.times = seed.map((at) => at.getTime()).sort((a, b) => a - b);
  }

  /** Counts one send at `at`. */
  record(at: Date): void {
    const ms = at.getTime();
    let index = this.times.length;
    while (index > 0 && this.times[index - 1]! > ms) index -= 1;
    this.times.splice(index, 0, ms);
  }

  /** Sends in the last hour and the last day, as of `now`. */
  counts(now: Date): { lastHour: number; lastDay: number } {
    this.prune(now);
    const hourAgo = now.getTime() - HOUR_MS;
    return { lastHour: this.times.length - this.countUpTo(hourAgo), lastDay: this.times.length };
  }

  /** `now` when one more send is allowed, else the moment a counted send leaves its window. */
  nextAllowedAt(now: Date): Date {
    const { lastHour, lastDay } = this.counts(now);
    let at = now.getTime();
    if (lastDay >= this.dailyCap) {
      at = Math.max(at, this.times[this.times.length - this.dailyCap]! + DAY_MS);
    }
    if (lastHour >= this.hourlyCap) {
      at = Math.max(at, this.times[this.times.length - this.hourlyCap]! + HOUR_MS);
    }
    return new Date(at);
  }

  private prune(now: Date): void {
    const drop = this.countUpTo(now.getTime() - DAY_MS);
    if (drop) this.times.splice(0, drop);
  }

  /** How many counted sends are at or before `ms` (binary search; times are sorted). */
  private countUpTo(ms: number): number {
    let [low, high] = [0, this.times.length];
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.times[mid]! <= ms) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
