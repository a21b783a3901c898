import { runSoak, type SoakReport } from './soak-harness.js';
import { openBenchServer } from './support.js';

/**
 * `npm run soak`: the crash soak at full size. SOAK_SEED replays a run (the seed is
 * printed either way); SOAK_MESSAGES and SOAK_KILLS change its size. Exits 1 when
 * anything was lost, doubled or slow to resume.
 */
const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const messages = Number(process.env.SOAK_MESSAGES ?? 2_000);
const kills = Number(process.env.SOAK_KILLS ?? 10);
const say = (line: string) => process.stdout.write(`${line}\n`);

function summarize(report: SoakReport): string[] {
  const restarts = report.lives.slice(1).map((life) => life.resumeMs ?? '-');
  return [
    `seed ${report.seed}: ${report.messages} messages, ${report.lives.length - 1} SIGKILLs`,
    `statuses: ${JSON.stringify(report.statuses)}; outbox lines: ${report.outboxLines}`,
    `lost: ${report.lost.length}; numbers messaged twice: ${report.doubled.length}`,
    `recorded wrongly: ${report.mismatched.length}`,
    `unknown shown in /review: ${report.unknownInReview}`,
    `cut mid-send and settled at restart: ${JSON.stringify(report.settledInDoubt)}`,
    `start-up times (ms): ${report.lives.map((life) => life.startupMs).join(', ')}`,
    `first send after each restart (ms after up): ${restarts.join(', ')}`,
    `slow resumes: ${report.slowResumes.join('; ') || 'none'}`,
    `lives that exited on their own: ${report.lives.filter((life) => life.crashed).length}`,
    `took ${(report.elapsedMs / 1000).toFixed(0)} s: ${report.ok ? 'PASSED' : 'FAILED'}`,
  ];
}

say(`soak seed ${seed} (SOAK_SEED=${seed} replays it)`);
const server = await openBenchServer();
let report: SoakReport;
try {
  report = await runSoak({ uri: server.uri, messages, kills, seed, log: say });
} finally {
  await server.stop();
}
for (const line of summarize(report)) say(line);
if (!report.ok) {
  say(`lost: ${report.lost.join(', ')}`);
  say(`doubled: ${report.doubled.join(', ')}; mismatched: ${report.mismatched.join(', ')}`);
}
process.exit(report.ok ? 0 : 1);
