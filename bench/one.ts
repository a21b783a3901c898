import { writeFileSync } from 'node:fs';
import { ALL_BENCHMARKS } from './benchmarks/index.js';
import type { BenchContext } from './support.js';

/**
 * Runs one benchmark in this process and writes its result as JSON to BENCH_OUTPUT.
 * `bench/run.ts` starts one of these per benchmark, so each has memory of its own.
 */
const name = process.argv[2];
const benchmark = ALL_BENCHMARKS.find((b) => b.name === name);
const uri = process.env.BENCH_URI;
const output = process.env.BENCH_OUTPUT;
if (!benchmark || !uri || !output) {
  process.stderr.write('usage: BENCH_URI=... BENCH_OUTPUT=... tsx bench/one.ts <benchmark>\n');
  process.exit(2);
}

const ctx: BenchContext = {
  uri,
  serverKind: process.env.BENCH_SERVER_KIND ?? 'unknown',
  progress: (message) => process.stderr.write(`  ${message}\n`),
};
const result = await benchmark.run(ctx);
writeFileSync(output, JSON.stringify(result));
process.exit(0);
