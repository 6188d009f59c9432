// Binarizers: sign (m = d), rhp (random Gaussian hyperplanes), itq (PCA + iterative quantization,
// Gong & Lazebnik 2011). All linear algebra is plain deterministic C++ (no BLAS): parallel loops
// only split independent output rows, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>

#include "binllm/protocol.hpp"
#include "hamming.hpp"

namespace binllm {
namespace h1 {

namespace {
constexpr uint64_t kStreamRhp = 0x7268700000000001ULL;  // "rhp"
constexpr uint64_t kStreamItq = 0x6974710000000001ULL;  // "itq"

using Dmat = std::vector<double>;  // row-major square or rectangular, dims passed alongside

// Symmetric eigen-decomposition by cyclic Jacobi rotations. a: n x n (destroyed).
// Returns eigenvalues (descending) and eigenvectors as rows of `vecs` (n x n, row i <-> value i).
void jacobi_eigen(Dmat& a, size_t n, std::vector<double>& values, Dmat& vecs) {
  Dmat vt(n * n, 0.0);  // rows are the eigenvectors under construction
  for (size_t i = 0; i < n; ++i) vt[i * n + i] = 1.0;
  double total = 0;
  for (size_t i = 0; i < n * n; ++i) total += a[i] * a[i];
  for (int sweep = 0; sweep < 60; ++sweep) {
    double off = 0;
    for (size_t p = 0; p < n; ++p)
      for (size_t q = p + 1; q < n; ++q) off += 2 * a[p * n + q] * a[p * n + q];
    if (off <= 1e-24 * total || off == 0) break;
    check_stop();
    for (size_t p = 0; p + 1 < n; ++p) {
      if ((p & 15) == 0 && stop_requested()) check_stop();
      for (size_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (std::fabs(apq) < 1e-300) continue;
        const double app = a[p * n + p], aqq = a[q * n + q];
        if (std::fabs(apq) < 1e-18 * (std::fabs(app) + std::fabs(aqq))) {
          a[p * n + q] = a[q * n + p] = 0;
          continue;
        }
        const double theta = (aqq - app) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        double* rp = &a[p * n];
        double* rq = &a[q * n];
        for (size_t k = 0; k < n; ++k) {
          const double x = rp[k], y = rq[k];
          rp[k] = c * x - s * y;
          rq[k] = s * x + c * y;
        }
        rp[p] = app - t * apq;
        rq[q] = aqq + t * apq;
        rp[q] = 0;
        rq[p] = 0;
        for (size_t k = 0; k < n; ++k) {
          if (k == p || k == q) continue;
          a[k * n + p] = rp[k];
          a[k * n + q] = rq[k];
        }
        double* vp = &vt[p * n];
        double* vq = &vt[q * n];
        for (size_t k = 0; k < n; ++k) {
          const double x = vp[k], y = vq[k];
          vp[k] = c * x - s * y;
          vq[k] = s * x + c * y;
        }
      }
    }
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return a[x * n + x] > a[y * n + y]; });
  values.resize(n);
  vecs.assign(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    values[i] = a[order[i] * n + order[i]];
    // deterministic sign: largest-magnitude component positive
    const double* v = &vt[order[i] * n];
    size_t big = 0;
    for (size_t k = 1; k < n; ++k)
      if (std::fabs(v[k]) > std::fabs(v[big])) big = k;
    const double sg = v[big] < 0 ? -1.0 : 1.0;
    for (size_t k = 0; k < n; ++k) vecs[i * n + k] = sg * v[k];
  }
}

// Symmetric eigen-decomposition by Householder tridiagonalisation followed by implicit QR steps
// with Wilkinson shifts (Golub & Van Loan, Algorithms 8.3.1 / 8.3.2). O(n^3) with a small
// constant: ~20x faster than cyclic Jacobi at n = 768. a: n x n (destroyed). Same output
// convention as jacobi_eigen (descending values, eigenvectors as rows, sign normalised).
void tridiag_qr_eigen(Dmat& a, size_t n, std::vector<double>& values, Dmat& vecs) {
  Dmat qt(n * n, 0.0);  // rows = columns of the accumulated orthogonal matrix
  for (size_t i = 0; i < n; ++i) qt[i * n + i] = 1.0;
  std::vector<double> diag(n, 0.0), off(n, 0.0), v(n), p(n), w(n), t(n);
  // 1. A = Q T Q^T
  for (size_t k = 0; k + 2 < n; ++k) {
    if ((k & 15) == 0 && stop_requested()) check_stop();
    const size_t m = n - k - 1;  // length of the reflected part (rows k+1 .. n-1)
    double xn = 0;
    for (size_t i = 0; i < m; ++i) {
      v[i] = a[(k + 1 + i) * n + k];
      xn += v[i] * v[i];
    }
    xn = std::sqrt(xn);
    if (xn == 0.0) continue;  // column already reduced
    const double alpha = v[0] > 0 ? -xn : xn;
    v[0] -= alpha;
    double vv = 0;
    for (size_t i = 0; i < m; ++i) vv += v[i] * v[i];
    if (vv == 0.0) continue;
    const double beta = 2.0 / vv;
    // p = beta * A22 v ; w = p - (beta/2)(p.v) v ; A22 -= v w^T + w v^T
    for (size_t i = 0; i < m; ++i) {
      const double* row = &a[(k + 1 + i) * n + (k + 1)];
      double s = 0;
      for (size_t j = 0; j < m; ++j) s += row[j] * v[j];
      p[i] = beta * s;
    }
    double pv = 0;
    for (size_t i = 0; i < m; ++i) pv += p[i] * v[i];
    for (size_t i = 0; i < m; ++i) w[i] = p[i] - 0.5 * beta * pv * v[i];
    for (size_t i = 0; i < m; ++i) {
      double* row = &a[(k + 1 + i) * n + (k + 1)];
      const double vi = v[i], wi = w[i];
      for (size_t j = 0; j < m; ++j) row[j] -= vi * w[j] + wi * v[j];
    }
    a[(k + 1) * n + k] = alpha;
    a[k * n + (k + 1)] = alpha;
    for (size_t i = 1; i < m; ++i) a[(k + 1 + i) * n + k] = a[k * n + (k + 1 + i)] = 0.0;
    // Q <- Q H, i.e. rows k+1.. of qt: qt_i -= beta * v_i * (v^T qt)
    std::fill(t.begin(), t.end(), 0.0);
    for (size_t i = 0; i < m; ++i) {
      const double* row = &qt[(k + 1 + i) * n];
      const double vi = v[i];
      for (size_t c = 0; c < n; ++c) t[c] += vi * row[c];
    }
    for (size_t i = 0; i < m; ++i) {
      double* row = &qt[(k + 1 + i) * n];
      const double f = beta * v[i];
      for (size_t c = 0; c < n; ++c) row[c] -= f * t[c];
    }
  }
  for (size_t i = 0; i < n; ++i) diag[i] = a[i * n + i];
  for (size_t i = 0; i + 1 < n; ++i) off[i] = a[(i + 1) * n + i];
  // 2. T = G L G^T by implicit symmetric QR steps; qt <- (Q G)^T
  const double eps = 2.220446049250313e-16;
  size_t hi = n ? n - 1 : 0;
  size_t steps = 0;
  while (hi > 0) {
    if (std::fabs(off[hi - 1]) <= eps * (std::fabs(diag[hi - 1]) + std::fabs(diag[hi]))) {
      off[hi - 1] = 0.0;
      --hi;
      continue;
    }
    size_t lo = hi - 1;
    while (lo > 0 && std::fabs(off[lo - 1]) > eps * (std::fabs(diag[lo - 1]) + std::fabs(diag[lo]))) --lo;
    if (++steps > 60 * n) throw std::runtime_error("eigensolver: QR iteration did not converge");
    if ((steps & 63) == 0 && stop_requested()) check_stop();
    const double delta = 0.5 * (diag[hi - 1] - diag[hi]);
    const double eh = off[hi - 1];
    const double denom = delta + (delta >= 0 ? 1.0 : -1.0) * std::hypot(delta, eh);
    const double mu = diag[hi] - eh * eh / denom;
    double x = diag[lo] - mu, z = off[lo];
    for (size_t k = lo; k < hi; ++k) {
      const double r = std::hypot(x, z);
      const double c = r == 0.0 ? 1.0 : x / r;
      const double s = r == 0.0 ? 0.0 : -z / r;
      if (k > lo) off[k - 1] = r;
      const double ak = diag[k], bk = off[k], ck = diag[k + 1];
      diag[k] = c * c * ak - 2 * c * s * bk + s * s * ck;
      diag[k + 1] = s * s * ak + 2 * c * s * bk + c * c * ck;
      off[k] = c * s * (ak - ck) + (c * c - s * s) * bk;
      if (k + 1 < hi) {
        z = -s * off[k + 1];  // bulge at (k, k+2)
        off[k + 1] = c * off[k + 1];
        x = off[k];
      }
      double* rk = &qt[k * n];
      double* rk1 = &qt[(k + 1) * n];
      for (size_t col = 0; col < n; ++col) {
        const double u = rk[col], y = rk1[col];
        rk[col] = c * u - s * y;
        rk1[col] = s * u + c * y;
      }
    }
  }
  // 3. sort, normalise signs
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return diag[x] > diag[y]; });
  values.resize(n);
  vecs.assign(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    values[i] = diag[order[i]];
    const double* vec = &qt[order[i] * n];
    size_t big = 0;
    for (size_t k = 1; k < n; ++k)
      if (std::fabs(vec[k]) > std::fabs(vec[big])) big = k;
    const double sg = vec[big] < 0 ? -1.0 : 1.0;
    for (size_t k = 0; k < n; ++k) vecs[i * n + k] = sg * vec[k];
  }
}

// Inverse of an n x n matrix by Gauss-Jordan with partial pivoting; false if singular.
bool invert(const Dmat& m, size_t n, Dmat& inv) {
  Dmat a = m;
  inv.assign(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) inv[i * n + i] = 1.0;
  for (size_t col = 0; col < n; ++col) {
    if ((col & 63) == 0 && stop_requested()) check_stop();
    size_t piv = col;
    for (size_t r = col + 1; r < n; ++r)
      if (std::fabs(a[r * n + col]) > std::fabs(a[piv * n + col])) piv = r;
    if (!(std::fabs(a[piv * n + col]) > 1e-300)) return false;
    if (piv != col) {
      for (size_t k = 0; k < n; ++k) {
        std::swap(a[piv * n + k], a[col * n + k]);
        std::swap(inv[piv * n + k], inv[col * n + k]);
      }
    }
    const double d = 1.0 / a[col * n + col];
    for (size_t k = 0; k < n; ++k) {
      a[col * n + k] *= d;
      inv[col * n + k] *= d;
    }
    for (size_t r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = a[r * n + col];
      if (f == 0) continue;
      double* ar = &a[r * n];
      double* ir = &inv[r * n];
      const double* ac = &a[col * n];
      const double* ic = &inv[col * n];
      for (size_t k = 0; k < n; ++k) {
        ar[k] -= f * ac[k];
        ir[k] -= f * ic[k];
      }
    }
  }
  return true;
}

double frob(const Dmat& m) {
  double s = 0;
  for (double x : m) s += x * x;
  return std::sqrt(s);
}

// Orthogonal polar factor U of M = U H (U orthogonal), by the scaled Newton iteration
// X <- (g X + X^{-T} / g) / 2 (Higham). false if M is singular.
bool polar_orthogonal(const Dmat& mtx, size_t n, Dmat& u) {
  Dmat x = mtx, inv, next(n * n);
  for (int it = 0; it < 100; ++it) {
    if (!invert(x, n, inv)) return false;
    const double g = std::sqrt(frob(inv) / frob(x));
    double diff = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        const double v = 0.5 * (g * x[i * n + j] + inv[j * n + i] / g);
        next[i * n + j] = v;
        diff += (v - x[i * n + j]) * (v - x[i * n + j]);
      }
    x.swap(next);
    if (std::sqrt(diff) < 1e-12 * std::sqrt(static_cast<double>(n))) break;
  }
  u = x;
  return true;
}

}  // namespace

void symmetric_eigen(std::vector<double>& a, size_t n, std::vector<double>& values, std::vector<double>& vecs,
                     EigenMethod method) {
  if (method == EigenMethod::Jacobi)
    jacobi_eigen(a, n, values, vecs);
  else
    tridiag_qr_eigen(a, n, values, vecs);
}

Binarizer parse_binarizer(const std::string& s) {
  if (s == "sign") return Binarizer::Sign;
  if (s == "rhp") return Binarizer::Rhp;
  if (s == "itq") return Binarizer::Itq;
  throw std::invalid_argument("unknown binarizer '" + s + "'");
}

Codes Encoder::encode(const Matrix& x, int threads, const ProgressFn& progress) const {
  if (static_cast<int>(x.cols) != d) throw std::invalid_argument("Encoder::encode: dimension mismatch");
  Codes c(x.rows, m);
  if (kind == Binarizer::Sign) {
    parallel_for(x.rows, threads, [&](size_t i) {
      const float* r = x.row(i);
      uint64_t* w = c.row(i);
      for (int j = 0; j < m; ++j)
        if (r[j] > 0.f) w[j >> 6] |= uint64_t(1) << (j & 63);
    });
    return c;
  }
  const size_t rows_per_item = 64;
  const size_t items = (x.rows + rows_per_item - 1) / rows_per_item;
  std::mutex mu;
  size_t done = 0;
  parallel_for(items, threads, [&](size_t it) {
    std::vector<float> y(static_cast<size_t>(m)), xc(static_cast<size_t>(d));
    const size_t i0 = it * rows_per_item, i1 = std::min(x.rows, i0 + rows_per_item);
    for (size_t i = i0; i < i1; ++i) {
      project_row(x.row(i), y.data(), xc.data());
      uint64_t* w = c.row(i);
      for (int j = 0; j < m; ++j)
        if (y[j] > 0.f) w[j >> 6] |= uint64_t(1) << (j & 63);
    }
    if (stop_requested()) check_stop();
    if (progress) {
      std::lock_guard<std::mutex> lk(mu);
      done += i1 - i0;
      progress(done, x.rows);
    }
  });
  return c;
}

void Encoder::project_row(const float* x, float* y, float* xc) const {
  if (kind == Binarizer::Sign) {
    std::copy(x, x + d, y);
    return;
  }
  for (int a = 0; a < d; ++a) xc[a] = mean.empty() ? x[a] : x[a] - mean[a];
  std::fill(y, y + m, 0.f);
  for (int a = 0; a < d; ++a) {
    const float xa = xc[a];
    const float* pr = proj.data() + static_cast<size_t>(a) * m;  // row a of proj (m)
    for (int j = 0; j < m; ++j) y[j] += xa * pr[j];
  }
}

Encoder make_sign_encoder(int d) {
  Encoder e;
  e.kind = Binarizer::Sign;
  e.d = d;
  e.m = d;
  return e;
}

Encoder make_rhp_encoder(int d, int m, uint64_t seed) {
  Encoder e;
  e.kind = Binarizer::Rhp;
  e.d = d;
  e.m = m;
  e.proj.assign(static_cast<size_t>(d) * m, 0.f);
  const uint64_t base = derive_seed(seed, kStreamRhp);
  for (int j = 0; j < m; ++j) {
    Rng r(base, static_cast<uint64_t>(j));  // hyperplane j has its own stream: nested in m
    for (int a = 0; a < d; ++a) e.proj[static_cast<size_t>(a) * m + j] = static_cast<float>(r.normal());
  }
  return e;
}

Encoder fit_itq_encoder(const Matrix& corpus, int m, uint64_t seed, const ItqOptions& opt, int threads,
                        const std::function<void(int, int)>& on_iter) {
  const size_t d = corpus.cols;
  if (m < 1 || static_cast<size_t>(m) > d) throw std::invalid_argument("itq: m must be in [1, d]");
  // 1. training rows (evenly strided), centred, in double
  const size_t nt = std::min(corpus.rows, std::max<size_t>(1, opt.train_max));
  std::vector<size_t> rows(nt);
  for (size_t t = 0; t < nt; ++t) rows[t] = static_cast<size_t>((static_cast<unsigned __int128>(t) * corpus.rows) / nt);
  std::vector<double> mean(d, 0.0);
  for (size_t t = 0; t < nt; ++t) {
    const float* r = corpus.row(rows[t]);
    for (size_t a = 0; a < d; ++a) mean[a] += r[a];
  }
  for (auto& v : mean) v /= static_cast<double>(nt);
  Dmat xc(nt * d);
  for (size_t t = 0; t < nt; ++t) {
    const float* r = corpus.row(rows[t]);
    for (size_t a = 0; a < d; ++a) xc[t * d + a] = r[a] - mean[a];
  }
  // 2. covariance (d x d), row a computed sequentially over samples
  Dmat cov(d * d, 0.0);
  parallel_for(d, threads, [&](size_t a) {
    double* ca = &cov[a * d];
    for (size_t t = 0; t < nt; ++t) {
      const double xa = xc[t * d + a];
      const double* xt = &xc[t * d];
      for (size_t b = 0; b < d; ++b) ca[b] += xa * xt[b];
    }
    for (size_t b = 0; b < d; ++b) ca[b] /= static_cast<double>(nt);
  });
  // 3. PCA: top-m eigenvectors
  std::vector<double> evals;
  Dmat evecs;
  symmetric_eigen(cov, d, evals, evecs, EigenMethod::TridiagonalQR);
  const size_t M = static_cast<size_t>(m);
  Dmat P(d * M);  // d x m
  for (size_t a = 0; a < d; ++a)
    for (size_t j = 0; j < M; ++j) P[a * M + j] = evecs[j * d + a];
  // 4. V = Xc P  (nt x m)
  Dmat V(nt * M, 0.0);
  parallel_for(nt, threads, [&](size_t t) {
    double* v = &V[t * M];
    for (size_t a = 0; a < d; ++a) {
      const double x = xc[t * d + a];
      const double* pa = &P[a * M];
      for (size_t j = 0; j < M; ++j) v[j] += x * pa[j];
    }
  });
  // 5. random orthogonal start (Gaussian + modified Gram-Schmidt on columns, twice)
  Dmat R(M * M);
  {
    Rng r(seed, kStreamItq);
    for (auto& x : R) x = r.normal();
    for (int pass = 0; pass < 2; ++pass)
      for (size_t j = 0; j < M; ++j) {
        for (size_t i = 0; i < j; ++i) {
          double s = 0;
          for (size_t k = 0; k < M; ++k) s += R[k * M + i] * R[k * M + j];
          for (size_t k = 0; k < M; ++k) R[k * M + j] -= s * R[k * M + i];
        }
        double nn = 0;
        for (size_t k = 0; k < M; ++k) nn += R[k * M + j] * R[k * M + j];
        nn = std::sqrt(nn);
        for (size_t k = 0; k < M; ++k) R[k * M + j] /= nn;
      }
  }
  // 6. ITQ iterations: B = sgn(V R); R = argmin ||B - V R|| = polar(B^T V)^T.
  //    Z = V R in float (only its signs are used); C = B^T V accumulated in double as
  //    C[a] = 2 * sum_{t: B[t][a] = +1} V[t] - sum_t V[t], which halves the work.
  std::vector<float> Vf(V.begin(), V.end()), Rf(M * M);
  std::vector<unsigned char> Bpos(nt * M);
  std::vector<double> Vsum(M, 0.0);
  for (size_t t = 0; t < nt; ++t)
    for (size_t j = 0; j < M; ++j) Vsum[j] += V[t * M + j];
  Dmat C(M * M), U;
  for (int it = 0; it < opt.iters; ++it) {
    check_stop();
    for (size_t i = 0; i < M * M; ++i) Rf[i] = static_cast<float>(R[i]);
    const size_t rows_per_item = 64;
    parallel_for((nt + rows_per_item - 1) / rows_per_item, threads, [&](size_t item) {
      std::vector<float> z(M);
      const size_t t0 = item * rows_per_item, t1 = std::min(nt, t0 + rows_per_item);
      for (size_t t = t0; t < t1; ++t) {
        std::fill(z.begin(), z.end(), 0.f);
        const float* v = &Vf[t * M];
        for (size_t a = 0; a < M; ++a) {
          const float va = v[a];
          const float* ra = &Rf[a * M];
          for (size_t j = 0; j < M; ++j) z[j] += va * ra[j];
        }
        for (size_t j = 0; j < M; ++j) Bpos[t * M + j] = z[j] > 0.f ? 1 : 0;
      }
    });
    parallel_for(M, threads, [&](size_t a) {
      double* ca = &C[a * M];
      std::fill(ca, ca + M, 0.0);
      for (size_t t = 0; t < nt; ++t) {
        if (!Bpos[t * M + a]) continue;
        const double* v = &V[t * M];
        for (size_t j = 0; j < M; ++j) ca[j] += v[j];
      }
      for (size_t j = 0; j < M; ++j) ca[j] = 2.0 * ca[j] - Vsum[j];
    });
    if (!polar_orthogonal(C, M, U)) break;  // singular B^T V (degenerate data): keep R
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < M; ++j) R[i * M + j] = U[j * M + i];
    if (on_iter) on_iter(it + 1, opt.iters);
  }
  // 7. encoder: code = sign((x - mean) P R)
  Encoder e;
  e.kind = Binarizer::Itq;
  e.d = static_cast<int>(d);
  e.m = m;
  e.mean.resize(d);
  for (size_t a = 0; a < d; ++a) e.mean[a] = static_cast<float>(mean[a]);
  e.proj.assign(d * M, 0.f);
  parallel_for(d, threads, [&](size_t a) {
    for (size_t j = 0; j < M; ++j) {
      double s = 0;
      for (size_t i = 0; i < M; ++i) s += P[a * M + i] * R[i * M + j];
      e.proj[a * M + j] = static_cast<float>(s);
    }
  });
  return e;
}

}  // namespace h1
}  // namespace binllm
