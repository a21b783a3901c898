import { fileURLToPath } from 'node:url';
import { ALL_BENCHMARKS, BENCHMARKS } from './benchmarks/index.js';
import { describeMachine, formatTable, writeResults, type RecordedResult } from './results.js';
import { probeServer } from './load.js';
import { openBenchServer, openBenchStore, runInChild, type BenchResult } from './support.js';

const RESULTS_PATH = fileURLToPath(new URL('./results.md', import.meta.url));

/** The benchmarks named on the command line (all when none), or exits listing the names. */
function selected() {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !ALL_BENCHMARKS.some((b) => b.name === name));
  if (unknown.length) {
    const known = ALL_BENCHMARKS.map((b) => b.name).join(', ');
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; choose from: ${known}\n`);
    process.exit(2);
  }
  if (names.length === 0) return BENCHMARKS;
  return ALL_BENCHMARKS.filter((b) => names.includes(b.name));
}

/** A row for a benchmark that threw, so the table says so instead of leaving it out. */
function failedResult(title: string, error: unknown): BenchResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    name: title,
    figure: 'error',
    baseline: '-',
    ratio: '-',
    target: '-',
    met: false,
    note: message,
  };
}

/** The server, with what a scan and an update by _id cost per stored document on it. */
async function describeServer(uri: string, kind: string): Promise<string> {
  const bench = await openBenchStore(uri, 'probe');
  try {
    const probe = await probeServer(bench.store);
    return [
      `database ${kind}: with ${probe.documents.toLocaleString('en-US')} messages stored, a`,
      `query matching none took ${probe.scanMicrosPerDoc.toFixed(1)} µs per stored message and`,
      `an update by _id ${probe.updateByIdMicrosPerDoc.toFixed(1)} µs (plan ${probe.plan})`,
    ].join(' ');
  } finally {
    await bench.close();
  }
}

const benchmarks = selected();
const server = await openBenchServer();
const machine = describeMachine();
const serverLine = await describeServer(server.uri, server.kind);
process.stderr.write(`${serverLine}\n${machine}\n`);
const fresh: RecordedResult[] = [];
try {
  for (const benchmark of benchmarks) {
    process.stderr.write(`${benchmark.name}: ${benchmark.title}\n`);
    const env = { BENCH_URI: server.uri, BENCH_SERVER_KIND: server.kind };
    const result = await runInChild<BenchResult>('./one.ts', [benchmark.name], env).catch(
      (error: unknown) => failedResult(benchmark.title, error),
    );
    fresh.push({
      ...result,
      order: ALL_BENCHMARKS.indexOf(benchmark) + 1,
      measuredAt: new Date().toISOString(),
      machine,
      server: serverLine,
    });
    const verdict = result.met ? 'met' : 'MISSED';
    process.stderr.write(`  ${result.figure} vs ${result.baseline}: ${verdict}\n`);
  }
} finally {
  await server.stop();
}

process.stdout.write(`${formatTable(fresh)}\n`);
writeResults(RESULTS_PATH, fresh);
process.stdout.write(`written to ${RESULTS_PATH}\n`);
process.exit(fresh.some((r) => r.figure === 'error') ? 1 : 0);
