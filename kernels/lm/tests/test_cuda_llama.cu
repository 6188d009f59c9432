// The CUDA Llama eval (lm::cuda_eval_ppl) vs the CPU path (lm::eval_ppl) on SmolLM2-135M and
// Hamlet. Exit 77 (ctest: skipped) without a usable CUDA device or without the model package
// (LM_SMOLLM2_GGUF, LM_TEST_TEXT: set by CMake from .binllm/models-venv).
//   formats : L = 256, stride 128, 3 windows, every kv of llama_kv_names() (kv_group 32, and
//             kv_residual 16 for kivi-bin). Tolerances: same windows and scored counts;
//             |ppl_gpu - ppl_cpu| <= 1e-3 * ppl_cpu and max per-window |dNLL| <= 1e-3 for the
//             fp / 8-bit formats, 5e-3 for the others (a fp32 summation-order difference can
//             flip single quantised values at a rounding boundary); first-window logits
//             max |d| <= 2e-3 * max(1, max|logit|) for fp32 / fp16.
//   long    : L = 4096 (no cap on L), one window, fp16 and bin: the same bounds, and the GPU's
//             tokens/s printed.
// Each comparison prints one line "cmp kv=<kv> L=<L> ppl_cpu=.. ppl_gpu=.. rel=.. ..." that
// kernels/scripts/gpu-verify.sh collects.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../cuda_eval.hpp"
#include "../llama_kv.hpp"
#include "llmc/gguf.hpp"
#include "llmc/llama.hpp"
#include "llmc/tokenizer.hpp"

using namespace lm;

namespace {

int g_fail = 0;

bool tight(KvMode m) { return m == KvMode::FP32 || m == KvMode::FP16 || m == KvMode::INT8 || m == KvMode::Q8_0; }

void compare(const llmc::LlamaModel& m, const std::vector<int>& tokens, int L, int stride, int nwin,
             const std::string& name, int residual) {
  std::vector<PplWindow> w = ppl_windows((int64_t)tokens.size(), L, stride);
  if ((int)w.size() > nwin) w.resize(nwin);
  KvConfig kv;
  kv.mode = kv_mode_from_name(name);
  kv.group = 32;
  kv.residual = residual;
  kv.seed = 1;
  const int threads = (int)std::max(1u, std::thread::hardware_concurrency());
  std::vector<float> lc, lg;
  const PplResult c = eval_ppl(m, tokens, w, L, kv, threads, nullptr, &lc);
  PplResult g;
  std::string err;
  if (!cuda_eval_ppl(m, tokens, w, L, kv, 0, nullptr, &g, &err, &lg)) {
    std::printf("FAIL kv=%s L=%d: %s\n", name.c_str(), L, err.c_str());
    g_fail++;
    return;
  }
  const double pc = std::exp(c.nll_sum / c.count), pg = std::exp(g.nll_sum / g.count);
  const double rel = std::fabs(pg - pc) / pc;
  double dw = 0;
  for (size_t i = 0; i < c.window_nll.size() && i < g.window_nll.size(); i++)
    dw = std::fmax(dw, std::fabs(c.window_nll[i] - g.window_nll[i]));
  double dl = 0, mag = 0;
  for (size_t i = 0; i < lc.size() && i < lg.size(); i++) {
    dl = std::fmax(dl, std::fabs(lc[i] - lg[i]));
    mag = std::fmax(mag, std::fabs(lc[i]));
  }
  const double tol = tight(kv.mode) ? 1e-3 : 5e-3;
  bool ok = c.count == g.count && c.window_nll.size() == g.window_nll.size() && lc.size() == lg.size() &&
            rel <= tol && dw <= tol;
  if (kv.mode == KvMode::FP32 || kv.mode == KvMode::FP16) ok = ok && dl <= 2e-3 * std::fmax(1.0, mag);
  std::printf("cmp kv=%s R=%d L=%d windows=%zu scored=%lld ppl_cpu=%.6f ppl_gpu=%.6f rel=%.2e window_dnll=%.2e "
              "logits_maxdiff=%.2e max_logit=%.2f cpu_tok_s=%.1f gpu_tok_s=%.1f %s\n",
              name.c_str(), residual, L, w.size(), (long long)c.count, pc, pg, rel, dw, dl, mag,
              w.size() * (double)L / c.seconds, w.size() * (double)L / g.seconds, ok ? "ok" : "FAIL");
  std::fflush(stdout);
  if (!ok) g_fail++;
}

std::string slurp(const char* p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "formats";
  CudaInfo info;
  std::string err;
  if (!cuda_probe(0, &info, &err)) {
    std::printf("skipped: %s\n", err.c_str());
    return 77;
  }
  const char* gguf = std::getenv("LM_SMOLLM2_GGUF");
  const char* text = std::getenv("LM_TEST_TEXT");
  if (!gguf || !*gguf || !text || !*text || !std::ifstream(gguf) || !std::ifstream(text)) {
    std::printf("skipped: LM_SMOLLM2_GGUF / LM_TEST_TEXT not set or missing (bash kernels/scripts/install-models.sh)\n");
    return 77;
  }
  std::printf("device: %s (cc %s); model %s\n", info.name.c_str(), info.cc.c_str(), gguf);
  const llmc::GgufFile f(gguf);
  const llmc::LlamaModel m = llmc::load_llama_gguf(f);
  const llmc::BpeTokenizer tok(f);
  const std::vector<int> tokens = tok.encode(slurp(text));
  std::printf("%zu tokens\n", tokens.size());
  if (which == "formats") {
    for (const auto& name : llama_kv_names()) compare(m, tokens, 256, 128, 3, name, 0);
    compare(m, tokens, 256, 128, 3, "kivi-bin", 16);
  } else if (which == "long") {
    compare(m, tokens, 4096, 2048, 1, "fp16", 0);
    compare(m, tokens, 4096, 2048, 1, "bin", 0);
  } else {
    std::fprintf(stderr, "unknown test '%s' (formats | long)\n", which.c_str());
    return 2;
  }
  std::printf(g_fail ? "%d failure(s)\n" : "all passed\n", g_fail);
  return g_fail ? 1 : 0;
}
