/** Shared helpers of the statistics tests: fixture loading and tolerant comparison. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

export interface FixtureFile<C> {
  meta: { scipy: string; statsmodels: string; numpy: string; seed: number };
  count: number;
  cases: C[];
}

/** Loads test/fixtures/stats/<name>.json (written by generate.py from scipy/statsmodels). */
export function loadFixture<C>(name: string): FixtureFile<C> {
  const url = new URL(`../fixtures/stats/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as FixtureFile<C>;
}

/** Default agreement: 1e-9 relative, with an absolute floor for values near 0. */
export const REL = 1e-9;
export const ABS = 1e-12;

/**
 * Asserts |actual − expected| ≤ max(rel·|expected|, abs). `expected === null` stands for an
 * infinite value in the fixture (JSON has no Infinity): `actual` must then be infinite.
 */
export function assertClose(
  actual: number | null | undefined,
  expected: number | null,
  label: string,
  rel = REL,
  abs = ABS,
): void {
  if (expected === null) {
    assert.ok(actual === Infinity || actual === -Infinity, `${label}: expected ±Infinity, got ${actual}`);
    return;
  }
  assert.equal(typeof actual, 'number', `${label}: expected a number, got ${actual}`);
  const a = actual as number;
  const tol = Math.max(rel * Math.abs(expected), abs);
  assert.ok(
    Math.abs(a - expected) <= tol,
    `${label}: got ${a}, expected ${expected} (diff ${Math.abs(a - expected)}, tol ${tol})`,
  );
}

/** Small seeded PRNG (mulberry32) and helpers for property tests. Deterministic. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates by Box–Muller from a uniform generator. */
export function normalGenerator(uniform: () => number): () => number {
  return () => {
    const u1 = 1 - uniform();
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
}
