import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { mb, type BenchResult } from './support.js';

/** A result with where and when it was measured. */
export interface RecordedResult extends BenchResult {
  /** Position in the benchmark list, for ordering the table. */
  order: number;
  measuredAt: string;
  machine: string;
  server: string;
}

const DATA_START = '<!-- bench-data';

/** Why figures on FerretDB grow with the collection; the run lines above give the costs. */
const FERRETDB_NOTE = [
  'FerretDB 1.24 on SQLite hands SQLite only filters on `_id`; every other filter and sort',
  'is applied in FerretDB after reading each stored document, and even an update by `_id`',
  'scans the table (see the plan above). So every query but an insert costs time in',
  'proportion to the collection, where MongoDB would use the indexes Cadence declares.',
  'Where a target is missed below, the note says which of those queries the time went to.',
  '',
];
const DATA_END = 'bench-data -->';

/** The machine this process runs on, in one line. */
export function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown cpu';
  const memory = mb(totalmem());
  return `${cpus().length} x ${cpu}, ${memory} memory, Linux ${release()}, Node ${process.version}`;
}

/** The results as a Markdown table, one row per benchmark. */
export function formatTable(results: RecordedResult[]): string {
  const header = [
    '| # | benchmark | figure | baseline | ratio | target | met | scale | measured |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const rows = results.map((r) =>
    [
      r.order,
      r.name,
      r.figure,
      r.baseline,
      r.ratio,
      r.target,
      r.met ? 'yes' : '**no**',
      r.scale ?? 'as specified',
      r.measuredAt.slice(0, 16).replace('T', ' '),
    ].join(' | '),
  );
  return [...header, ...rows.map((row) => `| ${row} |`)].join('\n');
}

/** The results kept in `path` by an earlier run (empty when there is none). */
export function readRecorded(path: string): RecordedResult[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(DATA_START);
  const end = text.indexOf(DATA_END);
  if (start < 0 || end < start) return [];
  try {
    return JSON.parse(text.slice(start + DATA_START.length, end)) as RecordedResult[];
  } catch {
    return [];
  }
}

/**
 * Writes the results to `path`: the fresh ones replace the rows of the same benchmarks
 * and the others are kept from earlier runs, each row dated, with the machine and
 * server of every run that contributed. Returns the merged rows.
 */
export function writeResults(path: string, fresh: RecordedResult[]): RecordedResult[] {
  const names = new Set(fresh.map((r) => r.name));
  const merged = [...readRecorded(path).filter((r) => !names.has(r.name)), ...fresh].sort(
    (a, b) => a.order - b.order,
  );
  const describeRun = (r: RecordedResult) => `${r.machine}; ${r.server}`;
  const runs = [...new Set(merged.map(describeRun))].map((run) => {
    const rows = merged.filter((r) => describeRun(r) === run);
    const day = rows[0]!.measuredAt.slice(0, 10);
    return `Rows ${rows.map((r) => r.order).join(', ')} (${day}): ${run}`;
  });
  const notes = merged
    .filter((r) => r.note)
    .map((r) => `### ${r.order}. ${r.name}\n\n${r.note}\n`)
    .join('\n');
  const text = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (`npm run bench -- <names>` reruns some rows and keeps the',
    'others). Each figure and its baseline come from the same run on the same database',
    'server; nothing here is hard-coded or copied from another machine.',
    '',
    ...runs.map((run) => `- ${run}`),
    '',
    ...(runs.some((run) => run.includes('ferretdb')) ? FERRETDB_NOTE : []),
    formatTable(merged),
    '',
    notes ? `## Notes\n\n${notes}` : '',
    `${DATA_START}\n${JSON.stringify(merged, null, 1)}\n${DATA_END}`,
    '',
  ].join('\n');
  writeFileSync(path, text);
  return merged;
}
