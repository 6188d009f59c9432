// llmc — the transformer library shared by binllm's lm, nlu and decode kernels.
//
//   core.hpp      threads, run-time SIMD path (CPUID), Carver (named views in flat buffers)
//   gemm.hpp      blocked GEMM (AVX-512 / AVX2 / scalar FMA, bit-identical across paths/threads)
//   layers.hpp    embedding, layernorm, GELU, residual, fp32 linear, attention (causal or
//                 bidirectional, GQA forward, KV-cache hook), softmax, cross entropy,
//                 KL distillation, pooling — forward and backward
//   quant.hpp     int4 group-wise, NF4, binary / ternary BitLinear, 8-bit activations
//   linear.hpp    Linear with a quantisation policy (fp32, int4 QAT, NF4+LoRA, binary, ternary)
//   adamw.hpp     AdamW with global-norm clipping and per-element frozen / decay kinds
//   reference.hpp naive double-precision references used by the tests
//   math.hpp      fexp / tanh-GELU shared with CUDA code
#pragma once

#include "llmc/adamw.hpp"
#include "llmc/core.hpp"
#include "llmc/gemm.hpp"
#include "llmc/layers.hpp"
#include "llmc/linear.hpp"
#include "llmc/math.hpp"
#include "llmc/quant.hpp"
#include "llmc/reference.hpp"
