// The CPU decoder (model.hpp): seeded weights and caches, one decode step, and its naive
// double-precision reference.
#include "model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace decode {

const char* quant_name(Quant q) {
  switch (q) {
    case Quant::Bin: return "bin";
    case Quant::Int4: return "int4";
    default: return "fp16";
  }
}

static int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

size_t Matrix::bytes() const {
  return q4.size() * sizeof(BlockQ4) + bits.size() * 8 + scale.size() * 4 + f16.size() * 2;
}
size_t LayerCache::bytes() const {
  return (k4.size() + vt4.size()) * sizeof(BlockQ4) + (kb.size() + vtb.size()) * 8 +
         (ks.size() + vs.size()) * 4 + (k16.size() + v16.size()) * 2;
}

double cache_bytes_per_token(const Shape& s, Quant q) {
  const double per = (double)s.batch * s.kv_dim();  // scalars of K (and of V) per token
  switch (q) {
    case Quant::Int4: return 2 * per / QK * sizeof(BlockQ4);
    case Quant::Bin: return 2 * per / 8;
    default: return 2 * per * 2;
  }
}

double weight_bytes_of(const Shape& s, Quant q) {
  const double D = s.d_model, F = s.d_ff, KV = s.kv_dim();
  const double params = D * D * 2 + KV * D * 2 + F * D * 2;
  const double rows = D * 2 + KV * 2 + F + D;
  double per_layer;
  switch (q) {
    case Quant::Int4: per_layer = params / QK * sizeof(BlockQ4); break;
    case Quant::Bin: per_layer = params / 8 + rows * 4; break;
    default: per_layer = params * 2;
  }
  return per_layer * s.n_layers;
}

// ---------------------------------------------------------------- seeded contents
// Stream ids: (layer << 8) | (tensor << 2) | part; every element i of a tensor is a function of
// (seed, stream, i) alone (formats.hpp rand_word), so the GPU fills identical tensors.
static uint64_t stream_of(int layer, int tensor, int part) { return ((uint64_t)layer << 8) | (uint64_t)(tensor << 2) | (uint64_t)part; }

static void fill_q4(std::vector<BlockQ4>& v, size_t n_blocks, uint64_t seed, uint64_t st, float base, int threads) {
  v.resize(n_blocks);
  (void)threads;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (long long i = 0; i < (long long)n_blocks; ++i) {
    uint64_t w0 = rand_word(seed, st, 3 * (uint64_t)i), w1 = rand_word(seed, st, 3 * (uint64_t)i + 1);
    std::memcpy(v[i].qs, &w0, 8);
    std::memcpy(v[i].qs + 8, &w1, 8);
    v[i].d = f32_to_f16(base * (0.75f + 0.5f * rand_unit(seed, st, 3 * (uint64_t)i + 2)));
  }
}
static void fill_bits(std::vector<uint64_t>& v, size_t n_words, uint64_t seed, uint64_t st, int threads) {
  v.resize(n_words);
  (void)threads;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (long long i = 0; i < (long long)n_words; ++i) v[i] = rand_word(seed, st, (uint64_t)i);
}
static void fill_scales(std::vector<float>& v, size_t n, uint64_t seed, uint64_t st, float base) {
  v.resize(n);
  for (size_t i = 0; i < n; ++i) v[i] = base * (0.8f + 0.4f * rand_unit(seed, st, i));
}
static void fill_f16(std::vector<uint16_t>& v, size_t n, uint64_t seed, uint64_t st, float base, int threads) {
  v.resize(n);
  (void)threads;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (long long i = 0; i < (long long)n; ++i)
    v[i] = f32_to_f16(base * 1.7320508f * (2.0f * rand_unit(seed, st, (uint64_t)i) - 1.0f));
}

// Weight scales keep the output variance near the input's: int4 codes (q-8) have std ~4.6.
static Matrix make_matrix(int rows, int cols, Quant q, uint64_t seed, uint64_t st, int threads) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.q = q;
  const float inv = 1.0f / std::sqrt((float)cols);
  if (q == Quant::Int4) {
    fill_q4(m.q4, (size_t)rows * cols / QK, seed, st, inv / 4.6f, threads);
  } else if (q == Quant::Bin) {
    fill_bits(m.bits, (size_t)rows * cols / 64, seed, st, threads);
    fill_scales(m.scale, rows, seed, st | 1, inv);
  } else {
    fill_f16(m.f16, (size_t)rows * cols, seed, st, inv, threads);
  }
  return m;
}

Model::Model(const Shape& s, Quant q, uint64_t seed_, int threads) : shape(s), quant(q), seed(seed_) {
  const int D = s.d_model, KV = s.kv_dim(), F = s.d_ff;
  layers.resize(s.n_layers);
  for (int l = 0; l < s.n_layers; ++l) {
    LayerWeights& w = layers[l];
    w.wq = make_matrix(D, D, q, seed, stream_of(l, 0, 0), threads);
    w.wk = make_matrix(KV, D, q, seed, stream_of(l, 1, 0), threads);
    w.wv = make_matrix(KV, D, q, seed, stream_of(l, 2, 0), threads);
    w.wo = make_matrix(D, D, q, seed, stream_of(l, 3, 0), threads);
    w.wu = make_matrix(F, D, q, seed, stream_of(l, 4, 0), threads);
    w.wd = make_matrix(D, F, q, seed, stream_of(l, 5, 0), threads);
  }
  x0.resize((size_t)s.batch * D);
  for (size_t i = 0; i < x0.size(); ++i) x0[i] = 1.7320508f * (2.0f * rand_unit(seed, stream_of(255, 63, 0), i) - 1.0f);
  cache.resize(s.n_layers);
}

void Model::fill_cache(int L, int threads) {
  const Shape& s = shape;
  const int hd = s.head_dim();
  const size_t heads = (size_t)s.batch * s.n_kv_heads;
  const int Lp = (L + kPChunk - 1) / kPChunk * kPChunk;
  for (int l = 0; l < s.n_layers; ++l) {
    LayerCache c;  // fresh: frees the previous L's memory first
    cache[l] = LayerCache();
    c.L = L;
    c.Lp = Lp;
    if (quant == Quant::Int4) {
      fill_q4(c.k4, heads * L * (hd / QK), seed, stream_of(l, 8, 0), 1.0f / 4.6f, threads);
      fill_q4(c.vt4, heads * hd * (Lp / QK), seed, stream_of(l, 9, 0), 1.0f / 4.6f, threads);
    } else if (quant == Quant::Bin) {
      fill_bits(c.kb, heads * L * (hd / 64), seed, stream_of(l, 8, 0), threads);
      fill_bits(c.vtb, heads * hd * (Lp / 64), seed, stream_of(l, 9, 0), threads);
      fill_scales(c.ks, heads * hd, seed, stream_of(l, 8, 1), 1.0f);
      fill_scales(c.vs, heads * hd, seed, stream_of(l, 9, 1), 1.0f);
    } else {
      fill_f16(c.k16, heads * L * hd, seed, stream_of(l, 8, 0), 1.0f, threads);
      fill_f16(c.v16, heads * L * hd, seed, stream_of(l, 9, 0), 1.0f, threads);
    }
    cache[l] = std::move(c);
  }
}

size_t Model::weight_bytes() const {
  size_t n = 0;
  for (auto& w : layers) n += w.wq.bytes() + w.wk.bytes() + w.wv.bytes() + w.wo.bytes() + w.wu.bytes() + w.wd.bytes();
  return n;
}
size_t Model::cache_bytes() const {
  size_t n = 0;
  for (auto& c : cache) n += c.bytes();
  return n;
}
double Model::step_read_bytes() const {
  // The cache is read once per step whatever the GQA group (a KV head's tokens serve all of its
  // query heads); the padded Vᵀ tail beyond L is not counted.
  double kv = 0;
  for (auto& c : cache) kv += cache_bytes_per_token(shape, quant) * c.L;
  if (quant == Quant::Bin) kv += (double)shape.n_layers * shape.batch * shape.kv_dim() * 2 * 4;  // scales
  return (double)weight_bytes() + kv;
}

// ---------------------------------------------------------------- the decode step

Decoder::Decoder(const Model& m, int threads) : m_(m), threads_(std::max(1, threads)) {
  const Shape& s = m.shape;
  const size_t B = s.batch;
  x_.resize(B * s.d_model);
  xn_.resize(B * std::max(s.d_model, s.d_ff));
  q_.resize(B * s.d_model);
  k_.resize(B * s.kv_dim());
  v_.resize(B * s.kv_dim());
  a_.resize(B * s.d_model);
  u_.resize(B * std::max(s.d_model, s.d_ff));
  acts_.resize(B);
  const int maxc = std::max(s.d_model, s.d_ff);
  for (auto& a : acts_) {
    a.q8.resize(maxc / QK);
    a.planes.resize((size_t)kPlanes * maxc / 64);
  }
  scratch_.resize(threads_);
  int Lp = kPChunk;  // construct the Decoder after Model::fill_cache
  for (auto& c : m.cache) Lp = std::max(Lp, c.Lp);
  const int hd = s.head_dim();
  for (auto& sc : scratch_) {
    sc.s.resize(Lp);
    sc.o.resize(hd);
    sc.si.resize(Lp);
    sc.codes.resize(Lp);
    sc.planes.resize((size_t)kPlanes * Lp / 64);
    sc.pq.resize(Lp / QK);
    sc.r.resize(std::max(hd, 64));
    sc.qp.resize(hd);
    sc.qbits.resize(hd / 64);
  }
}

static void rmsnorm(const float* x, float* y, int n) {
  double ss = 0;  // double: the norm is cheap and this keeps it order-independent enough
  for (int i = 0; i < n; ++i) ss += (double)x[i] * x[i];
  float r = (float)(1.0 / std::sqrt(ss / n + 1e-6));
  for (int i = 0; i < n; ++i) y[i] = x[i] * r;
}

void Decoder::prepare(const float* x, int cols, Quant q) {
  for (size_t b = 0; b < acts_.size(); ++b) {
    const float* xb = x + b * cols;
    if (q == Quant::Int4) quantize_q8(xb, acts_[b].q8.data(), cols);
    if (q == Quant::Bin) acts_[b].d = quantize_planes(xb, cols, cols / 64, true, acts_[b].planes.data(), &acts_[b].qsum);
  }
}

void Decoder::gemv(const Matrix& w, float* y) {
  const Kernels& K = kernels();
  const int rows = w.rows, cols = w.cols, B = (int)acts_.size();
  const int chunk = 64;  // rows per task: their weights stay in L2 across the batch
  const int n_chunks = (rows + chunk - 1) / chunk;
  const float* xs = xn_.data();  // fp16 reads the unquantised input from xn_
  const int* coef = plane_coefficients(true);
#pragma omp parallel for schedule(static) num_threads(threads_)
  for (int c = 0; c < n_chunks; ++c) {
    const int r0 = c * chunk, n = std::min(chunk, rows - r0);
    int64_t tmp[64];
    for (int b = 0; b < B; ++b) {
      float* yb = y + (size_t)b * rows + r0;
      if (w.q == Quant::Int4) {
        K.q4_rows(&w.q4[(size_t)r0 * (cols / QK)], acts_[b].q8.data(), cols / QK, n, yb);
      } else if (w.q == Quant::Bin) {
        K.plane_rows(&w.bits[(size_t)r0 * (cols / 64)], acts_[b].planes.data(), coef, cols / 64, n, tmp);
        const float d = acts_[b].d;
        const int64_t qs = acts_[b].qsum;
        for (int i = 0; i < n; ++i) yb[i] = w.scale[r0 + i] * d * (float)(2 * tmp[i] - qs);
      } else {
        K.f16_rows(&w.f16[(size_t)r0 * cols], xs + (size_t)b * cols, cols, n, yb);
      }
    }
  }
}

void Decoder::attention(int layer) {
  const Shape& s = m_.shape;
  const LayerCache& c = m_.cache[layer];
  const Kernels& K = kernels();
  const int hd = s.head_dim(), H = s.n_heads, Hk = s.n_kv_heads, G = H / Hk, B = s.batch;
  const int L = c.L, Lp = c.Lp;
  const float scale = 1.0f / std::sqrt((float)hd);
  const int tasks = B * Hk;
#pragma omp parallel for schedule(static) num_threads(threads_)
  for (int task = 0; task < tasks; ++task) {
    Scratch& sc = scratch_[thread_id()];
    const int b = task / Hk, kh = task % Hk;
    const size_t head = (size_t)b * Hk + kh;  // index of this (sequence, KV head)
    const float* kcur = &k_[(size_t)b * s.kv_dim() + (size_t)kh * hd];  // [hd] current token
    const float* vcur = &v_[(size_t)b * s.kv_dim() + (size_t)kh * hd];
    for (int g = 0; g < G; ++g) {
      const int h = kh * G + g;
      const float* q = &q_[(size_t)b * s.d_model + (size_t)h * hd];  // [hd]
      float self = 0;
      for (int i = 0; i < hd; ++i) self += q[i] * kcur[i];
      self *= scale;
      float* o = sc.o.data();  // [hd]
      float Z, pself;
      if (m_.quant == Quant::Int4) {
        const BlockQ4* kc = &c.k4[head * L * (hd / QK)];    // [L][hd/32]
        const BlockQ4* vt = &c.vt4[head * hd * (Lp / QK)];  // [hd][Lp/32]
        BlockQ8 qq[1024 / QK];                              // hd <= 1024 (checked at config)
        quantize_q8(q, qq, hd);
        float* sc_s = sc.s.data();  // [Lp]
        K.q4_rows(kc, qq, hd / QK, L, sc_s);
        float m = self;
        for (int t = 0; t < L; ++t) {
          sc_s[t] *= scale;
          m = std::max(m, sc_s[t]);
        }
        Z = K.exp_sub_sum(sc_s, L, m);
        pself = std::exp(self - m);
        Z += pself;
        std::fill(sc_s + L, sc_s + Lp, 0.0f);
        quantize_q8(sc_s, sc.pq.data(), Lp);
        K.q4_rows(vt, sc.pq.data(), Lp / QK, hd, o);
      } else if (m_.quant == Quant::Bin) {
        const uint64_t* kb = &c.kb[head * L * (hd / 64)];     // [L][hd/64]
        const uint64_t* vtb = &c.vtb[head * hd * (Lp / 64)];  // [Lp/kPChunk][hd][kPChunk/64]
        const float* ks = &c.ks[head * hd];                   // [hd]
        const float* vs = &c.vs[head * hd];                   // [hd]
        float sq = 0;
        std::fill(sc.qbits.begin(), sc.qbits.end(), 0ull);
        for (int i = 0; i < hd; ++i) {
          float qp = ks[i] * q[i];
          sq += std::fabs(qp);
          if (qp >= 0) sc.qbits[i >> 6] |= 1ull << (i & 63);
        }
        sq /= hd;
        int32_t* si = sc.si.data();
        K.xnor_rows(kb, sc.qbits.data(), hd / 64, L, si);
        int smax = -hd;
        for (int t = 0; t < L; ++t) smax = std::max(smax, si[t]);
        const float unit = sq * scale;  // score of one agreeing channel
        float m = std::max(self, unit * (float)smax);
        // numerators and codes by table: index (si + hd) / 2 in [0, hd]
        float e[1025];
        for (int k = 0; k <= hd; ++k) e[k] = std::exp(unit * (float)(2 * k - hd) - m);
        pself = std::exp(self - m);
        // numerators: counts per table entry (exact integers) times the table
        int counts[1025] = {0};
        for (int t = 0; t < L; ++t) counts[(si[t] + hd) >> 1]++;
        double zs = 0;
        for (int k = 0; k <= hd; ++k) zs += (double)counts[k] * e[k];
        Z = (float)zs + pself;
        // p·Vᵀ per chunk of kPChunk tokens, each with its own 8-bit code scale d_j = max p / 255
        std::fill(o, o + hd, 0.0f);
        uint8_t* codes = sc.codes.data();  // [kPChunk]
        int64_t* r = sc.r.data();           // [hd]
        const int* cu = plane_coefficients(false);
        for (int j = 0; j < Lp / kPChunk; ++j) {
          const int t0 = j * kPChunk, t1 = std::min(L, t0 + kPChunk);
          int kmax = 0;
          for (int t = t0; t < t1; ++t) kmax = std::max(kmax, (si[t] + hd) >> 1);
          const float dp = e[kmax] / 255.0f;
          const float idp = dp > 0 ? 1.0f / dp : 0.0f;
          uint8_t code_of[1025];
          for (int k = 0; k <= kmax; ++k) code_of[k] = (uint8_t)std::min(255.0f, std::floor(e[k] * idp + 0.5f));
          int64_t qsum = 0;
          for (int t = t0; t < t1; ++t) {
            codes[t - t0] = code_of[(si[t] + hd) >> 1];
            qsum += codes[t - t0];
          }
          std::fill(codes + (t1 - t0), codes + kPChunk, (uint8_t)0);
          K.planes_from_codes(codes, kPChunk, sc.planes.data());
          K.plane_rows(vtb + (size_t)j * hd * (kPChunk / 64), sc.planes.data(), cu, kPChunk / 64, hd, r);
          for (int i = 0; i < hd; ++i) o[i] += dp * (float)(2 * r[i] - qsum);
        }
        for (int i = 0; i < hd; ++i) o[i] *= vs[i];
      } else {
        const uint16_t* kc = &c.k16[head * L * hd];  // [L][hd]
        const uint16_t* vc = &c.v16[head * L * hd];  // [L][hd]
        float* sc_s = sc.s.data();
        K.f16_rows(kc, q, hd, L, sc_s);
        float m = self;
        for (int t = 0; t < L; ++t) {
          sc_s[t] *= scale;
          m = std::max(m, sc_s[t]);
        }
        Z = K.exp_sub_sum(sc_s, L, m);
        pself = std::exp(self - m);
        Z += pself;
        std::fill(o, o + hd, 0.0f);
        K.f16_axpy_rows(vc, sc_s, hd, L, o);
      }
      float* out = &a_[(size_t)b * s.d_model + (size_t)h * hd];
      const float iz = 1.0f / Z;
      for (int i = 0; i < hd; ++i) out[i] = (o[i] + pself * vcur[i]) * iz;
    }
  }
}

void Decoder::step(std::vector<float>& hidden, StepTimes* times) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const Shape& s = m_.shape;
  const int D = s.d_model, F = s.d_ff, B = s.batch;
  const Quant q = m_.quant;
  x_ = m_.x0;
  double attn = 0;
  for (int l = 0; l < s.n_layers; ++l) {
    const LayerWeights& w = m_.layers[l];
    for (int b = 0; b < B; ++b) rmsnorm(&x_[(size_t)b * D], &xn_[(size_t)b * D], D);
    prepare(xn_.data(), D, q);
    gemv(w.wq, q_.data());
    gemv(w.wk, k_.data());
    gemv(w.wv, v_.data());
    const auto ta = clock::now();
    attention(l);
    attn += std::chrono::duration<double>(clock::now() - ta).count();
    std::copy(a_.begin(), a_.begin() + (size_t)B * D, xn_.begin());  // fp16 GEMV reads xn_
    prepare(xn_.data(), D, q);
    gemv(w.wo, u_.data());
    for (size_t i = 0; i < (size_t)B * D; ++i) x_[i] += u_[i];
    for (int b = 0; b < B; ++b) rmsnorm(&x_[(size_t)b * D], &xn_[(size_t)b * D], D);
    prepare(xn_.data(), D, q);
    gemv(w.wu, u_.data());  // [B][F]
    for (size_t i = 0; i < (size_t)B * F; ++i) xn_[i] = u_[i] / (1.0f + std::exp(-u_[i]));
    prepare(xn_.data(), F, q);
    gemv(w.wd, u_.data());  // [B][D]
    for (size_t i = 0; i < (size_t)B * D; ++i) x_[i] += u_[i];
  }
  hidden.resize((size_t)B * D);
  for (int b = 0; b < B; ++b) rmsnorm(&x_[(size_t)b * D], &hidden[(size_t)b * D], D);
  if (times) {
    times->attention_s = attn;
    times->total_s = std::chrono::duration<double>(clock::now() - t0).count();
  }
}

// ---------------------------------------------------------------- double reference

namespace {

double round_away_d(double v) { return v < 0 ? -std::floor(-v + 0.5) : std::floor(v + 0.5); }

double q4val(const BlockQ4& b, int j) {
  int n = j < 16 ? (b.qs[j] & 0x0F) : (b.qs[j - 16] >> 4);
  return (double)(n - 8) * f16_to_f32(b.d);
}

void rms_d(const double* x, double* y, int n) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += x[i] * x[i];
  double r = 1.0 / std::sqrt(ss / n + 1e-6);
  for (int i = 0; i < n; ++i) y[i] = x[i] * r;
}

// the activation as the CPU path sees it after its quantiser, in double
std::vector<double> dequant_act(const double* x, int n, Quant q) {
  std::vector<double> out(x, x + n);
  if (q == Quant::Int4) {
    for (int b = 0; b < n / QK; ++b) {
      double amax = 0;
      for (int j = 0; j < QK; ++j) amax = std::max(amax, std::fabs(x[b * QK + j]));
      double d = amax / 127.0;
      for (int j = 0; j < QK; ++j) out[b * QK + j] = d > 0 ? round_away_d(x[b * QK + j] / d) * d : 0;
    }
  } else if (q == Quant::Bin) {
    double amax = 0;
    for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    double d = amax / 127.0;
    for (int i = 0; i < n; ++i) out[i] = d > 0 ? round_away_d(x[i] / d) * d : 0;
  }
  return out;
}

bool bit(const uint64_t* words, size_t i) { return words[i >> 6] >> (i & 63) & 1; }

void gemv_d(const Matrix& w, const std::vector<double>& xq, double* y) {
  for (int r = 0; r < w.rows; ++r) {
    double acc = 0;
    for (int i = 0; i < w.cols; ++i) {
      double wv;
      if (w.q == Quant::Int4) wv = q4val(w.q4[((size_t)r * w.cols + i) / QK], i % QK);
      else if (w.q == Quant::Bin) wv = (bit(w.bits.data(), (size_t)r * w.cols + i) ? 1.0 : -1.0) * w.scale[r];
      else wv = f16_to_f32(w.f16[(size_t)r * w.cols + i]);
      acc += wv * xq[i];
    }
    y[r] = acc;
  }
}

}  // namespace

std::vector<double> reference_step(const Model& m) {
  const Shape& s = m.shape;
  const int D = s.d_model, F = s.d_ff, KV = s.kv_dim(), hd = s.head_dim(), H = s.n_heads, G = H / s.n_kv_heads;
  const Quant qt = m.quant;
  std::vector<double> hidden((size_t)s.batch * D);
  for (int b = 0; b < s.batch; ++b) {
    std::vector<double> x(m.x0.begin() + (size_t)b * D, m.x0.begin() + (size_t)(b + 1) * D), xn(D);
    for (int l = 0; l < s.n_layers; ++l) {
      const LayerWeights& w = m.layers[l];
      const LayerCache& c = m.cache[l];
      const int L = c.L, Lp = c.Lp;
      rms_d(x.data(), xn.data(), D);
      auto xq = dequant_act(xn.data(), D, qt);
      std::vector<double> q(D), k(KV), v(KV), a(D);
      gemv_d(w.wq, xq, q.data());
      gemv_d(w.wk, xq, k.data());
      gemv_d(w.wv, xq, v.data());
      for (int h = 0; h < H; ++h) {
        const int kh = h / G;
        const size_t head = (size_t)b * s.n_kv_heads + kh;
        const double* qh = &q[(size_t)h * hd];
        const double* kc = &k[(size_t)kh * hd];
        const double* vc = &v[(size_t)kh * hd];
        const double scale = 1.0 / std::sqrt((double)hd);
        double self = 0;
        for (int i = 0; i < hd; ++i) self += qh[i] * kc[i];
        self *= scale;
        std::vector<double> sc(L), o(hd, 0.0);
        if (qt == Quant::Bin) {
          std::vector<double> qp(hd);
          double sq = 0;
          for (int i = 0; i < hd; ++i) {
            qp[i] = c.ks[head * hd + i] * qh[i];
            sq += std::fabs(qp[i]);
          }
          sq /= hd;
          for (int t = 0; t < L; ++t) {
            int agree = 0;
            for (int i = 0; i < hd; ++i) {
              bool kbit = bit(&c.kb[head * L * (hd / 64)], (size_t)t * hd + i);
              agree += (kbit == (qp[i] >= 0)) ? 1 : -1;
            }
            sc[t] = sq * agree * scale;
          }
        } else {
          std::vector<double> qq = dequant_act(qh, hd, qt == Quant::Int4 ? Quant::Int4 : Quant::Fp16);
          for (int t = 0; t < L; ++t) {
            double acc = 0;
            for (int i = 0; i < hd; ++i) {
              double kv = qt == Quant::Int4 ? q4val(c.k4[(head * L + t) * (hd / QK) + i / QK], i % QK)
                                            : f16_to_f32(c.k16[(head * L + t) * hd + i]);
              acc += kv * qq[i];
            }
            sc[t] = acc * scale;
          }
        }
        double mx = self;
        for (int t = 0; t < L; ++t) mx = std::max(mx, sc[t]);
        std::vector<double> p(Lp, 0.0);
        double Z = std::exp(self - mx);
        for (int t = 0; t < L; ++t) {
          p[t] = std::exp(sc[t] - mx);
          Z += p[t];
        }
        if (qt == Quant::Int4) {
          p = dequant_act(p.data(), Lp, Quant::Int4);
          for (int i = 0; i < hd; ++i)
            for (int t = 0; t < Lp; ++t) o[i] += q4val(c.vt4[(head * hd + i) * (Lp / QK) + t / QK], t % QK) * p[t];
        } else if (qt == Quant::Bin) {
          for (int j = 0; j < Lp / kPChunk; ++j) {  // per chunk: its own code scale
            const int t0 = j * kPChunk, t1 = std::min(L, t0 + kPChunk);
            double pmax = 0;
            for (int t = t0; t < t1; ++t) pmax = std::max(pmax, p[t]);
            const double dp = pmax / 255.0;
            for (int t = t0; t < t1; ++t) p[t] = dp > 0 ? std::min(255.0, round_away_d(p[t] / dp)) * dp : 0;
          }
          for (int i = 0; i < hd; ++i) {
            double acc = 0;
            for (int t = 0; t < L; ++t) {
              // Vᵀ chunk-major: [Lp/kPChunk][hd][kPChunk/64]
              const uint64_t* row = &c.vtb[(head * (Lp / kPChunk) + t / kPChunk) * hd * (kPChunk / 64) + (size_t)i * (kPChunk / 64)];
              acc += (bit(row, t % kPChunk) ? 1.0 : -1.0) * p[t];
            }
            o[i] = c.vs[head * hd + i] * acc;
          }
        } else {
          for (int t = 0; t < L; ++t)
            for (int i = 0; i < hd; ++i) o[i] += p[t] * f16_to_f32(c.v16[(head * L + t) * hd + i]);
        }
        const double pself = std::exp(self - mx);
        for (int i = 0; i < hd; ++i) a[(size_t)h * hd + i] = (o[i] + pself * vc[i]) / Z;
      }
      auto aq = dequant_act(a.data(), D, qt);
      std::vector<double> tmp(std::max(D, F));
      gemv_d(w.wo, aq, tmp.data());
      for (int i = 0; i < D; ++i) x[i] += tmp[i];
      rms_d(x.data(), xn.data(), D);
      xq = dequant_act(xn.data(), D, qt);
      std::vector<double> u(F);
      gemv_d(w.wu, xq, u.data());
      for (int i = 0; i < F; ++i) u[i] = u[i] / (1.0 + std::exp(-u[i]));
      auto uq = dequant_act(u.data(), F, qt);
      gemv_d(w.wd, uq, tmp.data());
      for (int i = 0; i < D; ++i) x[i] += tmp[i];
    }
    rms_d(x.data(), &hidden[(size_t)b * D], D);
  }
  return hidden;
}

}  // namespace decode
