import type { Benchmark } from '../support.js';
import { adminLatency } from './admin-latency.js';
import { dispatchOverhead } from './dispatch-overhead.js';
import { dueScan } from './due-scan.js';
import { memory } from './memory.js';
import { pacing } from './pacing.js';
import { audienceSnapshot } from './snapshot.js';
import { timing, timingFull } from './timing.js';

/** Every benchmark, in the order `npm run bench` runs them. */
export const BENCHMARKS: readonly Benchmark[] = [
  dispatchOverhead,
  audienceSnapshot,
  dueScan,
  timing,
  memory,
  adminLatency,
  pacing,
];

/** Benchmarks run only when named (`npm run bench -- timing-full`): too slow for every run. */
export const EXTRA_BENCHMARKS: readonly Benchmark[] = [timingFull];

/** Every benchmark that can be named, default ones first. */
export const ALL_BENCHMARKS: readonly Benchmark[] = [...BENCHMARKS, ...EXTRA_BENCHMARKS];
