// Data sources of the LM kernel: a seeded synthetic Markov source with an exactly computable
// entropy rate, and raw text files read as bytes (WikiText-style, one file per split).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"

namespace lm {

// Order-k Markov chain over V symbols. Each of the V^k contexts has its own next-symbol
// distribution softmax(sharpness * z), z ~ N(0, 1)^V, drawn from the seed. All probabilities are
// positive, so the chain is ergodic and its entropy rate
//   H = sum_s pi(s) * H(P(. | s))
// (pi the stationary distribution over contexts, found by power iteration) is the perplexity
// floor exp(H) of any model of the stream.
struct MarkovSource {
  int V = 0, k = 0;
  long n_states = 0;
  std::vector<double> P;    // n_states x V
  std::vector<double> cdf;  // n_states x V
  void init(int vocab, int order, double sharpness, uint64_t seed);
  double entropy_rate() const;  // nats / token
  std::vector<int> generate(long n, Rng& rng) const;
  // Mean -log P(x_t | true context) over a stream (positions >= k): the empirical floor.
  double stream_nll(const std::vector<int>& s) const;
};

// Reads a whole file as byte tokens. Returns false (and sets err) if it cannot be read.
bool read_text_tokens(const std::string& path, std::vector<int>& out, std::string& err);

}  // namespace lm
