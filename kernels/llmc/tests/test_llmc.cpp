// Unit tests of llmc: optimised routines against the naive double references, finite-difference
// checks of every backward (STE and LoRA included), bit-identity across SIMD paths and thread
// counts, and quantiser round trips against hand-computed values. Usage: llmc_tests [name-filter]
#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "binllm/rng.hpp"
#include "check.hpp"
#include "llmc/llama.hpp"
#include "llmc/llmc.hpp"

using namespace llmc;
using Vec = std::vector<double>;

namespace {

std::vector<float> randn(size_t n, uint64_t seed, float sd = 1.f) {
  binllm::Rng r(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = sd * (float)r.normal();
  return v;
}
Vec to_d(const std::vector<float>& v) {
  return Vec(v.begin(), v.end());
}
double max_rel(const std::vector<float>& a, const Vec& b) {
  double m = 0, scale = 1e-6;
  for (double x : b) scale = std::max(scale, std::fabs(x));
  for (size_t i = 0; i < a.size(); i++) m = std::max(m, std::fabs(a[i] - b[i]) / scale);
  return m;
}
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Central finite differences of f (double, at double inputs x) weighted by dout: the gradient of
// sum(dout * f(x)) with respect to x, to compare with an analytic backward.
Vec fd_grad(const std::function<Vec(const Vec&)>& f, Vec x, const Vec& dout, double eps = 1e-5) {
  Vec g(x.size());
  for (size_t i = 0; i < x.size(); i++) {
    const double x0 = x[i];
    x[i] = x0 + eps;
    Vec fp = f(x);
    x[i] = x0 - eps;
    Vec fm = f(x);
    x[i] = x0;
    double s = 0;
    for (size_t j = 0; j < fp.size(); j++) s += dout[j] * (fp[j] - fm[j]);
    g[i] = s / (2 * eps);
  }
  return g;
}
#define CHECK_CLOSE(got, want, tol)                                                  \
  do {                                                                               \
    const double e_ = max_rel(got, want);                                            \
    CHECK_MSG(e_ < (tol), std::string(#got) + " max rel err " + std::to_string(e_)); \
  } while (0)

}  // namespace

// ------------------------------------------------------------------------------------------ GEMM
TEST(gemm_matches_reference_and_is_bit_identical_across_paths_and_threads) {
  for (auto [M, K, N] :
       {std::tuple{1, 1, 1}, std::tuple{7, 300, 45}, std::tuple{50, 64, 192}, std::tuple{97, 513, 33}, std::tuple{13, 576, 64},
        // several work items, k blocks and edge tiles; one whole register tile
        std::tuple{200, 600, 530}, std::tuple{6, 16, 16}}) {
    auto A = randn((size_t)M * K, 1), B = randn((size_t)K * N, 2), C0 = randn((size_t)M * N, 3);
    std::vector<float> ref = C0;
    gemm_nn_ref(A.data(), B.data(), ref.data(), M, K, N, true);
    std::vector<std::vector<float>> outs;
    for (Simd s : {Simd::kScalar, Simd::kAvx2, Simd::kAvx512}) {
      if (!force_simd(s)) continue;
      for (int th : {1, 2}) {
        set_threads(th);
        std::vector<float> C = C0;
        gemm_nn(A.data(), B.data(), C.data(), M, K, N, true);
        outs.push_back(C);
        CHECK_CLOSE(C, to_d(ref), 1e-5);
        std::vector<float> AT((size_t)K * M), C2 = C0;  // gemm_tn on A stored transposed
        transpose(A.data(), AT.data(), M, K);
        gemm_tn(AT.data(), B.data(), C2.data(), M, K, N, true);
        outs.push_back(C2);
        std::vector<float> BT((size_t)N * K), C3 = C0;  // gemm_nt on B stored (N,K)
        transpose(B.data(), BT.data(), K, N);
        gemm_nt(A.data(), BT.data(), C3.data(), M, K, N, true);
        outs.push_back(C3);
      }
    }
    for (auto& o : outs) CHECK(same_bits(o, outs[0]));
  }
  force_simd(Simd::kAvx512) || force_simd(Simd::kAvx2) || force_simd(Simd::kScalar);
  set_threads(2);
}

// ------------------------------------------------------------------------------------------ layers
TEST(layernorm_forward_backward) {
  const int N = 5, C = 24;
  auto x = randn(N * C, 4), w = randn(C, 5), b = randn(C, 6), dout = randn(N * C, 7);
  std::vector<float> out(N * C), mean(N), rstd(N), dx(N * C, 0.f), dw(C, 0.f), db(C, 0.f);
  layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
  CHECK_CLOSE(out, ref::layernorm(to_d(x), to_d(w), to_d(b), N, C), 1e-5);
  layernorm_backward(dx.data(), dw.data(), db.data(), dout.data(), x.data(), w.data(), mean.data(),
                     rstd.data(), N, C);
  const Vec D = to_d(dout);
  CHECK_CLOSE(
      dx, fd_grad([&](const Vec& v) { return ref::layernorm(v, to_d(w), to_d(b), N, C); }, to_d(x), D), 1e-4);
  CHECK_CLOSE(
      dw, fd_grad([&](const Vec& v) { return ref::layernorm(to_d(x), v, to_d(b), N, C); }, to_d(w), D), 1e-4);
  CHECK_CLOSE(
      db, fd_grad([&](const Vec& v) { return ref::layernorm(to_d(x), to_d(w), v, N, C); }, to_d(b), D), 1e-4);
}

TEST(gelu_forward_backward) {
  auto x = randn(300, 8, 2.f), dout = randn(300, 9);
  std::vector<float> y(300), dx(300, 0.f);
  gelu_forward(y.data(), x.data(), 300);
  CHECK_CLOSE(y, ref::gelu(to_d(x)), 1e-6);
  gelu_backward(dx.data(), x.data(), dout.data(), 300);
  CHECK_CLOSE(dx, fd_grad(ref::gelu, to_d(x), to_d(dout)), 1e-5);
}

TEST(embedding_forward_backward) {
  const int B = 2, T = 3, C = 4, V = 5;
  std::vector<int> tok = {1, 4, 1, 0, 2, 1};
  auto wte = randn(V * C, 10), wpe = randn(T * C, 11), dout = randn(B * T * C, 12);
  std::vector<float> out(B * T * C), dwte(V * C, 0.f), dwpe(T * C, 0.f);
  embedding_forward(out.data(), tok.data(), wte.data(), wpe.data(), B, T, C);
  CHECK(out[(1 * T + 2) * C + 3] == wte[1 * C + 3] + wpe[2 * C + 3]);
  embedding_backward(dwte.data(), dwpe.data(), dout.data(), tok.data(), B, T, C);
  float want = dout[(0 * T + 0) * C + 2] + dout[(0 * T + 2) * C + 2] + dout[(1 * T + 2) * C + 2];
  CHECK(std::fabs(dwte[1 * C + 2] - want) < 1e-6);
  CHECK(std::fabs(dwpe[1 * C + 0] - (dout[(0 * T + 1) * C] + dout[(1 * T + 1) * C])) < 1e-6);
}

TEST(linear_fp32_forward_backward) {
  const int N = 9, C = 20, OC = 13;
  auto x = randn(N * C, 13), w = randn(OC * C, 14), b = randn(OC, 15), dout = randn(N * OC, 16);
  std::vector<float> y(N * OC), sc(std::max(C * OC, OC * N)), dx(N * C, 0.f), dw(OC * C, 0.f), db(OC, 0.f);
  linear_forward(y.data(), x.data(), w.data(), b.data(), N, C, OC, sc.data());
  const Vec B_ = to_d(b);
  CHECK_CLOSE(y, ref::linear(to_d(x), to_d(w), &B_, N, C, OC), 1e-5);
  linear_backward(dx.data(), dw.data(), db.data(), dout.data(), x.data(), w.data(), N, C, OC, sc.data());
  const Vec D = to_d(dout);
  CHECK_CLOSE(dx, fd_grad([&](const Vec& v) { return ref::linear(v, to_d(w), &B_, N, C, OC); }, to_d(x), D),
              1e-5);
  CHECK_CLOSE(dw, fd_grad([&](const Vec& v) { return ref::linear(to_d(x), v, &B_, N, C, OC); }, to_d(w), D),
              1e-5);
  CHECK_CLOSE(db, fd_grad([&](const Vec& v) { return ref::linear(to_d(x), to_d(w), &v, N, C, OC); }, B_, D),
              1e-5);
}

// ------------------------------------------------------------------------------------------ attention
TEST(attention_causal_bidirectional_padding_gqa_forward) {
  for (bool causal : {true, false})
    for (int nkv : {4, 2, 1}) {
      AttnShape s;
      s.B = 2, s.T = 70, s.C = 32, s.NH = 4, s.NKV = nkv, s.causal = causal;  // T > 64: both score paths
      std::vector<int> lens = {70, 37};
      auto qkv = randn((size_t)s.B * s.T * s.row(), 17 + nkv);
      std::vector<float> out((size_t)s.B * s.T * s.C), att((size_t)s.B * s.NH * s.T * s.T);
      Vec want = ref::attention(to_d(qkv), s, lens.data());
      attention_forward(out.data(), att.data(), qkv.data(), s, lens.data(), nullptr);
      CHECK_CLOSE(out, want, 1e-5);
    }
}

TEST(attention_backward_finite_differences) {
  for (bool causal : {true, false}) {
    AttnShape s;
    s.B = 2, s.T = 5, s.C = 8, s.NH = 2, s.causal = causal;
    std::vector<int> lens = {5, 3};
    auto qkv = randn((size_t)s.B * s.T * s.row(), 21), dout = randn((size_t)s.B * s.T * s.C, 22);
    std::vector<float> out(dout.size()), att((size_t)s.B * s.NH * s.T * s.T), dqkv(qkv.size(), 0.f);
    attention_forward(out.data(), att.data(), qkv.data(), s, lens.data(), nullptr);
    attention_backward(dqkv.data(), dout.data(), qkv.data(), att.data(), s, lens.data());
    CHECK_CLOSE(
        dqkv, fd_grad([&](const Vec& v) { return ref::attention(v, s, lens.data()); }, to_d(qkv), to_d(dout)),
        1e-5);
  }
}

namespace {
// A KV hook for the test: scales every K and V entry by 0.5 and reports per-channel scales 2.
void halve_kv(float* qkv, float* ks, float* vs, const AttnShape& s, const void*) {
  for (size_t r = 0; r < (size_t)s.B * s.T; r++)
    for (int i = s.C; i < s.C + 2 * s.kvc(); i++) qkv[r * s.row() + i] *= 0.5f;
  for (size_t i = 0; i < (size_t)s.B * s.T * s.kvc(); i++) ks[i] = vs[i] = 2.f;
}
}  // namespace

TEST(attention_kv_hook_rewrites_kv_and_applies_scales) {
  AttnShape s;
  s.B = 1, s.T = 6, s.C = 8, s.NH = 2;
  auto qkv = randn(s.T * s.row(), 23);
  std::vector<float> q2 = qkv, plain(s.T * s.C), hooked(s.T * s.C), ks(s.T * s.kvc()), vs(ks.size());
  attention_forward(plain.data(), nullptr, qkv.data(), s, nullptr, nullptr);
  KvHook h;
  h.kv_transform = halve_kv, h.kscale = ks.data(), h.vscale = vs.data();
  attention_forward(hooked.data(), nullptr, q2.data(), s, nullptr, &h);
  CHECK_CLOSE(hooked, to_d(plain), 1e-6);  // (k/2)*2 and (v/2)*2: the same attention
  CHECK(q2[s.C] == 0.5f * qkv[s.C]);
}

// ------------------------------------------------------------------------------------------ losses
TEST(crossentropy_softmax_kl_pool) {
  const int N = 4, V = 7;
  auto l = randn(N * V, 24, 3.f), t = randn(N * V, 25, 3.f);
  std::vector<int> tg = {0, 6, 3, 3};
  std::vector<float> p(N * V), loss(N), dl(N * V);
  crossentropy_forward(p.data(), loss.data(), l.data(), tg.data(), N, V);
  CHECK_CLOSE(loss, ref::crossentropy(to_d(l), tg.data(), N, V), 1e-6);
  CHECK_CLOSE(p, ref::softmax(to_d(l), N, V, 1.0), 1e-6);
  crossentropy_backward(dl.data(), p.data(), tg.data(), N, V, 0.5f);
  Vec half(N, 0.5);
  CHECK_CLOSE(dl, fd_grad([&](const Vec& v) { return ref::crossentropy(v, tg.data(), N, V); }, to_d(l), half),
              1e-5);

  for (float tau : {1.0f, 2.5f}) {
    std::vector<float> kl(N), ps(N * V), pt(N * V), ds(N * V, 0.f);
    kl_distill_forward(kl.data(), ps.data(), pt.data(), l.data(), t.data(), N, V, tau);
    CHECK_CLOSE(kl, ref::kl_distill(to_d(l), to_d(t), N, V, tau), 1e-5);
    kl_distill_backward(ds.data(), ps.data(), pt.data(), N, V, tau, 0.5f);
    CHECK_CLOSE(ds,
                fd_grad([&](const Vec& v) { return ref::kl_distill(v, to_d(t), N, V, tau); }, to_d(l), half),
                1e-5);
  }

  const int B = 2, T = 4, C = 3;
  std::vector<int> lens = {4, 2};
  auto x = randn(B * T * C, 26), d = randn(B * C, 27);
  for (Pool m : {Pool::kFirst, Pool::kMean}) {
    std::vector<float> o(B * C), dx(B * T * C, 0.f);
    pool_forward(o.data(), x.data(), lens.data(), B, T, C, m);
    CHECK_CLOSE(o, ref::pool(to_d(x), lens.data(), B, T, C, m), 1e-6);
    pool_backward(dx.data(), d.data(), lens.data(), B, T, C, m);
    CHECK_CLOSE(
        dx, fd_grad([&](const Vec& v) { return ref::pool(v, lens.data(), B, T, C, m); }, to_d(x), to_d(d)),
        1e-5);
  }
}

// ------------------------------------------------------------------------------------------ quantisers
TEST(int4_round_trip_hand_computed) {
  // group 4: absmax 1.4 -> s = 0.2; w/s = 0.5 -> 1 (half away), -7, 3.6 -> 4, -0.4 -> 0
  std::vector<float> w = {0.1f, -1.4f, 0.72f, -0.08f, 0, 0, 0, 0};
  std::vector<float> q(8), s(2);
  int4_fake_quant(q.data(), w.data(), 8, 4, s.data());
  const float sc = 1.4f / 7.0f;
  CHECK(s[0] == sc && s[1] == 0.f);
  CHECK(q[0] == 1 * sc && q[1] == -7 * sc && q[2] == 4 * sc && q[3] == 0.f);
  for (int i = 4; i < 8; i++) CHECK(q[i] == 0.f);
  // idempotent up to the rounding of (7 s) / 7: quantising w_q again gives w_q
  std::vector<float> q2(8);
  int4_fake_quant(q2.data(), q.data(), 8, 4);
  for (int i = 0; i < 8; i++) CHECK(std::fabs(q2[i] - q[i]) <= 1e-7f);
}

TEST(nf4_round_trip_hand_computed) {
  // block 4, absmax 2: w/a = 1, -0.25 (nearest -0.28444), 0.03 (nearest 0), 0.3 (nearest 0.33792)
  std::vector<float> w = {2.0f, -0.5f, 0.06f, 0.6f};
  std::vector<uint8_t> c(4);
  std::vector<float> a(1), back(4);
  nf4_quantize(c.data(), a.data(), w.data(), 4, 4);
  CHECK(a[0] == 2.0f);
  CHECK(c[0] == 15 && c[1] == 4 && c[2] == 7 && c[3] == 11);
  nf4_dequantize(back.data(), c.data(), a.data(), 4, 4);
  CHECK(back[0] == 2.0f && back[1] == 2.0f * -0.28444138169288635f && back[2] == 0.f &&
        back[3] == 2.0f * 0.33791524171829224f);
  // every code value round-trips exactly
  std::vector<float> all(16);
  for (int i = 0; i < 16; i++) all[i] = kNf4[i];
  std::vector<uint8_t> c16(16);
  float a16;
  nf4_quantize(c16.data(), &a16, all.data(), 16, 16);
  for (int i = 0; i < 16; i++) CHECK(c16[i] == i);
}

TEST(bitlinear_quantisers_hand_computed) {
  std::vector<float> w = {0.5f, -1.5f, 0.0f, 1.0f, 2.0f, -2.0f}, q(6), beta(2);
  binary_fake_quant(q.data(), w.data(), 2, 3, beta.data());
  CHECK(beta[0] == (float)(2.0 / 3) && beta[1] == (float)(5.0 / 3));  // mean |w| per row
  CHECK(q[0] == beta[0] && q[1] == -beta[0] && q[2] == beta[0] && q[5] == -beta[1]);
  // ternary: gamma = mean|w| = 7/6; w/gamma = 0.43 -> 0, -1.29 -> -1, 0 -> 0, 0.86 -> 1, 1.7 -> 1
  const float g = ternary_fake_quant(q.data(), w.data(), 6);
  CHECK(std::fabs(g - 7.0f / 6) < 1e-7);
  CHECK(q[0] == 0.f && q[1] == -g && q[2] == 0.f && q[3] == g && q[4] == g && q[5] == -g);
  // act8: absmax 2 -> s = 63.5; 0.5 * 63.5 = 31.75 -> 32 -> 32/63.5
  std::vector<float> x = {0.5f, -2.0f, 0.0f, 0.0f}, xq(4);
  act8_fake_quant(xq.data(), x.data(), 2, 2);
  CHECK(xq[0] == 32.0f / 63.5f && xq[1] == -127.0f / 63.5f && xq[2] == 0.f && xq[3] == 0.f);
}

// ------------------------------------------------------------------------------------------ Linear
namespace {
struct LinearCase {
  Linear lin;
  std::vector<float> P, G;
  LinearParams p, g;
  explicit LinearCase(const LinearConfig& c, uint64_t seed) : lin(c) {
    const size_t n = lin.num_params();
    P.assign(n, 0.f);
    G.assign(n, 0.f);
    Carver cp(P.data()), cg(G.data());
    p = lin.carve(cp);
    g = lin.carve(cg);
    binllm::Rng r(seed);
    lin.init(p, r, 0.5f);
    if (p.b)
      for (int i = 0; i < c.out; i++) p.b[i] = 0.1f * (float)r.normal();
    if (p.lora_b)
      for (size_t i = 0; i < (size_t)c.out * c.lora_rank; i++) p.lora_b[i] = 0.3f * (float)r.normal();
  }
};
}  // namespace

TEST(linear_policies_forward_and_ste_backward_finite_differences) {
  const int N = 6, C = 16, OC = 8;
  for (Quant qk : {Quant::kFp32, Quant::kInt4, Quant::kBinary, Quant::kTernary, Quant::kNf4Lora}) {
    LinearConfig c;
    c.in = C, c.out = OC, c.quant = qk, c.group = 8, c.lora_rank = 3, c.lora_alpha = 6;
    LinearCase L(c, 30);
    auto x = randn(N * C, 31), dout = randn(N * OC, 32);
    std::vector<float> y(N * OC), dx(N * C, 0.f);
    L.lin.forward(y.data(), x.data(), N, L.p);
    L.lin.backward(dx.data(), L.g, dout.data(), x.data(), N, L.p);
    const Vec Wq = to_d(L.lin.effective_weights()), Bb(L.p.b, L.p.b + OC), D = to_d(dout);
    // the forward in double given the quantised operands: Q_x(x) Wq^T + b (+ LoRA)
    std::vector<float> xq = x;
    if (c.act8_on()) act8_fake_quant(xq.data(), x.data(), N, C);
    const double s = c.lora_alpha / c.lora_rank;
    auto f = [&](const Vec& xin, const Vec& wq, const Vec& la, const Vec& lb) {
      Vec y0 = ref::linear(xin, wq, &Bb, N, C, OC);
      if (qk == Quant::kNf4Lora) {
        // LoRA sees the unquantised input; here act8 is off so xin is x
        Vec h = ref::linear(xin, la, nullptr, N, C, c.lora_rank);
        Vec d = ref::linear(h, lb, nullptr, N, c.lora_rank, OC);
        for (size_t i = 0; i < y0.size(); i++) y0[i] += s * d[i];
      }
      return y0;
    };
    Vec LA = qk == Quant::kNf4Lora ? Vec(L.p.lora_a, L.p.lora_a + c.lora_rank * C) : Vec();
    Vec LB = qk == Quant::kNf4Lora ? Vec(L.p.lora_b, L.p.lora_b + OC * c.lora_rank) : Vec();
    CHECK_CLOSE(y, f(to_d(xq), Wq, LA, LB), 1e-5);
    // STE: dx = gradient w.r.t. x_q; dw = gradient w.r.t. w_q
    CHECK_CLOSE(dx, fd_grad([&](const Vec& v) { return f(v, Wq, LA, LB); }, to_d(xq), D), 1e-5);
    if (qk == Quant::kNf4Lora) {
      for (size_t i = 0; i < (size_t)OC * C; i++) CHECK(L.G[i] == 0.f);  // frozen base
      std::vector<float> ga(L.g.lora_a, L.g.lora_a + LA.size()), gb(L.g.lora_b, L.g.lora_b + LB.size());
      CHECK_CLOSE(ga, fd_grad([&](const Vec& v) { return f(to_d(xq), Wq, v, LB); }, LA, D), 1e-5);
      CHECK_CLOSE(gb, fd_grad([&](const Vec& v) { return f(to_d(xq), Wq, LA, v); }, LB, D), 1e-5);
    } else {
      std::vector<float> gw(L.g.w, L.g.w + OC * C);
      CHECK_CLOSE(gw, fd_grad([&](const Vec& v) { return f(to_d(xq), v, LA, LB); }, Wq, D), 1e-5);
    }
    std::vector<float> gb(L.g.b, L.g.b + OC);
    double sum0 = 0;
    for (int n = 0; n < N; n++) sum0 += dout[n * OC];
    CHECK(std::fabs(gb[0] - sum0) < 1e-5);
  }
}

TEST(linear_storage_bits) {
  auto bits = [](Quant q) {
    LinearConfig c;
    c.in = 64, c.out = 32, c.bias = false, c.quant = q, c.group = 64, c.lora_rank = 4;
    return Linear(c).storage_bits();
  };
  CHECK(bits(Quant::kFp32) == 32.0 * 2048);
  CHECK(bits(Quant::kInt4) == 4.0 * 2048 + 32 * 32);
  CHECK(bits(Quant::kNf4Lora) == 4.0 * 2048 + 32 * 32 + 32.0 * 4 * (64 + 32));
  CHECK(bits(Quant::kBinary) == 2048.0 + 32 * 32);
  CHECK(bits(Quant::kTernary) == 8.0 * std::ceil(2048 / 5.0) + 32);
  CHECK(parse_quant("nf4-lora") == Quant::kNf4Lora);
  CHECK_THROWS(std::invalid_argument, parse_quant("int3"), "int3", "accepted");
}

TEST(adamw_frozen_decay_and_clip) {
  std::vector<float> p = {1.f, 1.f, 1.f}, g = {3.f, 4.f, 100.f};
  std::vector<uint8_t> k = {kDecay, kNoDecay, kFrozen};
  AdamW opt;
  opt.init(3);
  const float norm = opt.update(p.data(), g.data(), k.data(), 3, 0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, 1.0f);
  CHECK(norm == 5.f);  // frozen element excluded from the norm
  CHECK(p[2] == 1.f);
  // first Adam step moves by lr * sign(g) (mh/sqrt(vh) = +-1), plus decay on kDecay
  CHECK(std::fabs(p[1] - (1.f - 0.1f)) < 1e-6);
  CHECK(std::fabs(p[0] - (1.f - 0.1f * (1.f + 0.5f))) < 1e-6);
}

// ------------------------------------------------------------------------------------------ determinism
TEST(exp_sub_sum_is_fexp_bit_for_bit_and_close_to_exp) {
  // shifted scores as a softmax sees them: 0 at the max, down to -200 (clamped at -87), n % 8 != 0
  std::vector<float> x(1003);
  for (size_t i = 0; i < x.size(); i++) x[i] = 3.f - 203.f * (float)((i * 7919) % 1003) / 1002.f;
  std::vector<float> y = x;
  const float sum = exp_sub_sum(y.data(), (int64_t)y.size(), 3.f);
  float lanes[8] = {0.f};
  double ref_sum = 0;
  for (size_t i = 0; i < x.size(); i++) {
    const float want = fexp(x[i] - 3.f);
    CHECK_MSG(std::memcmp(&want, &y[i], 4) == 0, "element " + std::to_string(i) + " is fexp's value");
    lanes[i % 8] += want;
    const double e = std::exp((double)x[i] - 3.0);
    if (x[i] - 3.f > -80.f) CHECK_MSG(std::fabs(want - e) <= 4e-7 * e, "fexp within 4e-7 of exp at " + std::to_string(x[i]));
    ref_sum += e;
  }
  float want_sum = 0.f;
  for (float l : lanes) want_sum += l;
  CHECK(std::memcmp(&want_sum, &sum, 4) == 0);
  CHECK(std::fabs(sum - ref_sum) <= 1e-6 * ref_sum);
}

TEST(layers_bit_identical_at_1_and_2_threads) {
  AttnShape s;
  s.B = 3, s.T = 33, s.C = 32, s.NH = 4, s.causal = false;
  auto qkv = randn((size_t)s.B * s.T * s.row(), 40), dout = randn((size_t)s.B * s.T * s.C, 41);
  LinearConfig c;
  c.in = 32, c.out = 48, c.quant = Quant::kBinary;
  std::vector<std::vector<float>> res[2];
  for (int th : {1, 2}) {
    set_threads(th);
    std::vector<float> q = qkv, out(dout.size()), att((size_t)s.B * s.NH * s.T * s.T), dq(qkv.size(), 0.f);
    attention_forward(out.data(), att.data(), q.data(), s, nullptr, nullptr);
    attention_backward(dq.data(), dout.data(), q.data(), att.data(), s, nullptr);
    LinearCase L(c, 42);
    std::vector<float> y((size_t)s.B * s.T * 48), dx(out.size(), 0.f), d2 = randn(y.size(), 43);
    L.lin.forward(y.data(), out.data(), s.B * s.T, L.p);
    L.lin.backward(dx.data(), L.g, d2.data(), out.data(), s.B * s.T, L.p);
    res[th - 1] = {out, dq, y, dx, L.G};
  }
  for (size_t i = 0; i < res[0].size(); i++) CHECK_MSG(same_bits(res[0][i], res[1][i]), std::to_string(i));
  set_threads(2);
}

int main(int argc, char** argv) {
  std::fprintf(stderr, "llmc SIMD path: %s\n", simd_name());
  return bt::run_all(argc, argv);
}
