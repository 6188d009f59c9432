/**
 * Independent cross-check against jstat at jstat's own precision (~1e-6): guards against gross
 * mistakes in the special functions independently of the scipy fixtures.
 */
import { describe, it } from 'node:test';
import jstat from 'jstat';
import {
  chiSquareCdf,
  logGamma,
  normalCdf,
  normalQuantile,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
} from '../../hypotheses/stats/index.js';
import { assertClose, seededRandom } from './helpers.js';

const { jStat } = jstat;
const u = seededRandom(7);

describe('agreement with jstat at its precision', () => {
  it('t, normal, chi-square, incomplete beta, log-gamma', () => {
    for (let k = 0; k < 500; k++) {
      const x = (u() - 0.5) * 12;
      const df = 1 + u() * 40;
      const p = 0.001 + u() * 0.998;
      assertClose(studentTCdf(x, df), jStat.studentt.cdf(x, df), `t cdf ${x} ${df}`, 1e-6, 1e-9);
      assertClose(studentTQuantile(p, df), jStat.studentt.inv(p, df), `t inv ${p} ${df}`, 1e-6, 1e-9);
      assertClose(normalCdf(x), jStat.normal.cdf(x, 0, 1), `normal cdf ${x}`, 1e-6, 1e-12);
      assertClose(normalQuantile(p), jStat.normal.inv(p, 0, 1), `normal inv ${p}`, 1e-6, 1e-9);
      const c = Math.abs(x) * 5;
      assertClose(chiSquareCdf(c, df), jStat.chisquare.cdf(c, df), `chi2 ${c} ${df}`, 1e-6, 1e-9);
      const a = 0.2 + u() * 20;
      const b = 0.2 + u() * 20;
      const xb = u();
      assertClose(regularizedIncompleteBeta(xb, a, b), jStat.ibeta(xb, a, b), `ibeta ${xb} ${a} ${b}`, 1e-6, 1e-9);
      assertClose(logGamma(a), jStat.gammaln(a), `lgamma ${a}`, 1e-9, 1e-12);
    }
  });
});
