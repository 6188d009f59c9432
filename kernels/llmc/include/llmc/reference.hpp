// Naive references of llmc's optimised routines: plain loops, double precision, no SIMD, no
// threads. Tests compare every optimised routine (and finite differences of these) against them.
#pragma once

#include <vector>

#include "llmc/layers.hpp"

namespace llmc {
namespace ref {

using Vec = std::vector<double>;

Vec layernorm(const Vec& x, const Vec& w, const Vec& b, int N, int C);       // (N,C)
Vec gelu(const Vec& x);                                                      // tanh-GELU
Vec linear(const Vec& x, const Vec& w, const Vec* b, int N, int C, int OC);  // (N,OC)
// out (B,T,C) from qkv (B,T,C+2*KVC), same mask / GQA / padding rules as attention_forward.
Vec attention(const Vec& qkv, const AttnShape& s, const int* lens);
Vec softmax(const Vec& logits, int N, int V, double temperature);
Vec crossentropy(const Vec& logits, const int* targets, int N, int V);    // losses (N)
Vec kl_distill(const Vec& s, const Vec& t, int N, int V, double tau);     // losses (N)
Vec pool(const Vec& x, const int* lens, int B, int T, int C, Pool mode);  // (B,C)

}  // namespace ref
}  // namespace llmc
