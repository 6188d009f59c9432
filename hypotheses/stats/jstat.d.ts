/**
 * Minimal type declaration for the parts of `jstat` (no bundled types) that binllm touches.
 * The library itself computes its distributions in `distributions.ts` (jstat's incomplete beta
 * stops at 3e-7 relative, too coarse for agreement with scipy to 1e-9); jstat serves as an
 * independent low-precision cross-check in test/stats/jstatCrossCheck.test.ts.
 */
declare module 'jstat' {
  interface JStatUnivariate2 {
    pdf(x: number, a: number, b: number): number;
    cdf(x: number, a: number, b: number): number;
    inv(p: number, a: number, b: number): number;
  }
  interface JStatUnivariate1 {
    pdf(x: number, dof: number): number;
    cdf(x: number, dof: number): number;
    inv(p: number, dof: number): number;
  }
  export interface JStatStatic {
    normal: JStatUnivariate2;
    studentt: JStatUnivariate1;
    chisquare: JStatUnivariate1;
    ibeta(x: number, a: number, b: number): number;
    gammaln(x: number): number;
  }
  const jstat: { jStat: JStatStatic };
  export default jstat;
}
