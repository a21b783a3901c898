/**
 * One-sample Kolmogorov-Smirnov test of `samples` against the uniform distribution on
 * [low, high]: the statistic D and its asymptotic p-value.
 */
export function ksUniform(samples: number[], low: number, high: number): { d: number; p: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  let d = 0;
  sorted.forEach((value, i) => {
    const cdf = Math.min(1, Math.max(0, (value - low) / (high - low)));
    d = Math.max(d, (i + 1) / n - cdf, cdf - i / n);
  });
  return { d, p: kolmogorovPValue(d, n) };
}

/** Below this lambda the alternating series converges too slowly; the dual one is used. */
const SMALL_LAMBDA = 1.18;

/**
 * P(D > d) for n samples: Kolmogorov's limiting distribution at lambda = (sqrt(n) + 0.12
 * + 0.11 / sqrt(n)) d (Stephens' small-sample correction). Small lambdas use the dual
 * (theta-function) series, which converges fast there; the usual alternating series
 * gives 0 or 2 for them.
 */
export function kolmogorovPValue(d: number, n: number): number {
  const sqrtN = Math.sqrt(n);
  const lambda = (sqrtN + 0.12 + 0.11 / sqrtN) * d;
  if (lambda <= 0) return 1;
  if (lambda < SMALL_LAMBDA) return clamp01(1 - kolmogorovCdfSmall(lambda));

  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return clamp01(sum);
}

/** P(K <= lambda) = sqrt(2 pi) / lambda * sum over odd j of exp(-j^2 pi^2 / (8 lambda^2)). */
function kolmogorovCdfSmall(lambda: number): number {
  let sum = 0;
  for (let j = 1; j <= 201; j += 2) {
    const term = Math.exp((-j * j * Math.PI * Math.PI) / (8 * lambda * lambda));
    sum += term;
    if (term < 1e-16) break;
  }
  return (Math.sqrt(2 * Math.PI) / lambda) * sum;
}

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));
