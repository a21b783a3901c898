import { IANAZone } from 'luxon';

/** True when `name` is an IANA time zone this runtime knows, e.g. `Europe/Madrid`. */
export function isValidTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** Something that tells the time; tests hand in one they can move. */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved; for tests and benchmarks. */
export class ManualClock implements Clock {
  private ms: number;

  constructor(start: Date | number = Date.now()) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  set(to: Date | number): void {
    this.ms = typeof to === 'number' ? to : to.getTime();
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
