# Reference values for test/analysis/reference.test.ts (scipy 1.17.1, statsmodels 0.15.0).
# Run: python3 test/analysis/reference.py > /tmp/ref.json, then paste into reference-values.ts.
import numpy as np, json
from scipy import stats
from statsmodels.stats.multitest import multipletests
out = {}
# ---- H2
int4 = {256: [20.1, 19.8, 20.5, 21.0, 20.3], 1024: [18.2, 18.0, 18.9, 19.1, 18.5]}
binkv = {256: [20.52, 20.49, 20.75, 21.6, 20.68], 1024: [18.75, 18.81, 19.3, 20.05, 19.2]}
lm = np.log(1.05)
h2 = {}
for L in (256, 1024):
    d = np.log(np.array(binkv[L])) - np.log(np.array(int4[L]))
    ni = stats.ttest_1samp(d, lm, alternative='less')
    op = stats.ttest_1samp(d, lm, alternative='greater')
    two = stats.ttest_1samp(d, 0.0)
    w = stats.wilcoxon(d)
    ub = ni.confidence_interval(0.95).high
    ci = two.confidence_interval(0.95)
    h2[L] = dict(mean=d.mean(), sd=d.std(ddof=1), t=ni.statistic, p=ni.pvalue, popp=op.pvalue, p2=two.pvalue, pw=w.pvalue, ub=ub, ratio=np.exp(d.mean()), ratioub=np.exp(ub), ci=[ci.low, ci.high], dz=d.mean()/d.std(ddof=1))
ps = [h2[L]['p'] for L in (256, 1024)]
holm = multipletests(ps, 0.05, 'holm')
bh = multipletests(ps, 0.05, 'fdr_bh')
for i, L in enumerate((256, 1024)):
    h2[L]['holm'] = holm[1][i]; h2[L]['bh'] = bh[1][i]; h2[L]['rej'] = bool(holm[0][i])
opp = multipletests([h2[L]['popp'] for L in (256, 1024)], 0.05, 'holm')
for i, L in enumerate((256, 1024)): h2[L]['oppholm'] = opp[1][i]
out['H2'] = {str(k): v for k, v in h2.items()}
# ---- H1
ov = {(64, 10): [0.90, 0.92, 0.91, 0.89], (64, 50): [0.88, 0.90, 0.87, 0.89],
      (128, 10): [0.962, 0.958, 0.965, 0.960], (128, 50): [0.955, 0.949, 0.953, 0.951],
      (256, 10): [0.985, 0.982, 0.987, 0.984], (256, 50): [0.978, 0.975, 0.980, 0.977]}
keys = sorted(ov)
res = {}
for k in keys:
    x = np.array(ov[k]); r = stats.ttest_1samp(x, 0.95, alternative='greater')
    res[k] = dict(p=r.pvalue, lcb=r.confidence_interval(0.95).low, mean=x.mean(), sd=x.std(ddof=1))
hh = multipletests([res[k]['p'] for k in keys], 0.05, 'holm')
for i, k in enumerate(keys): res[k]['holm'] = hh[1][i]; res[k]['rej'] = bool(hh[0][i])
mstar = None
for m in (64, 128, 256):
    if res[(m, 10)]['rej'] and res[(m, 50)]['rej']: mstar = m; break
fl = [0.61, 0.60, 0.63, 0.62]
nb = {64: [0.55, 0.545, 0.571, 0.56], 128: [0.59, 0.583, 0.612, 0.598], 256: [0.60, 0.595, 0.622, 0.611]}
nd = {}
for m in (64, 128, 256):
    d = np.array(nb[m]) - np.array(fl)
    r = stats.ttest_1samp(d, -0.02, alternative='greater')
    nd[m] = dict(p=r.pvalue, lcb=r.confidence_interval(0.95).low, mean=d.mean())
nh = multipletests([nd[m]['p'] for m in (64, 128, 256)], 0.05, 'holm')
for i, m in enumerate((64, 128, 256)): nd[m]['holm'] = nh[1][i]; nd[m]['rej'] = bool(nh[0][i])
# BH across the sweep's claim tests (H1 rhp overlap 6 + ndcg 3 + H2 ppl 2), when analysed together
allp = [res[k]['p'] for k in keys] + [nd[m]['p'] for m in (64, 128, 256)] + ps
bhall = multipletests(allp, 0.05, 'fdr_bh')[1]
out['H1'] = dict(overlap={f'{k[0]}/{k[1]}': v for k, v in res.items()}, mstar=mstar, ndcg={str(m): v for m, v in nd.items()}, bhAll=list(bhall))
print(json.dumps(out, indent=1, default=float))
