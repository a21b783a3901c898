import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/soak-harness.js';
import { testServerUri } from '../support/db.js';

/** The short soak CI runs; `npm run soak` is the full one (2,000 messages, 10 kills). */
const MESSAGES = 200;
const KILLS = 4;
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('the bot process killed with SIGKILL while a campaign sends', () => {
  it('loses nothing, doubles nothing and sends again within 5 s of each restart', async () => {
    console.log(`soak seed ${SEED} (SOAK_SEED=${SEED} replays it)`);
    const report = await runSoak({
      uri: testServerUri(),
      messages: MESSAGES,
      kills: KILLS,
      seed: SEED,
      timeoutMs: 4 * 60_000,
    });

    const { lives, statuses, settledInDoubt } = report;
    const context = JSON.stringify({ seed: SEED, lives, statuses, settledInDoubt });
    expect(report.lives.filter((life) => life.killed), context).toHaveLength(KILLS);
    expect(report.lost, context).toEqual([]);
    expect(report.doubled, context).toEqual([]);
    expect(report.mismatched, context).toEqual([]);
    expect(report.slowResumes, context).toEqual([]);
    expect(report.lives.filter((life) => life.crashed), context).toEqual([]);
    expect(report.ok, context).toBe(true);
  }, 5 * 60_000);
});
