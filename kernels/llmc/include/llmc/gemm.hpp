// Matrix products of llmc. All row-major fp32.
//
// Every element of C is ONE fused-multiply-add chain over k = 0..K-1, starting from C
// (accumulate) or 0: c = fma(a[i,k], b[k,j], c). The AVX-512, AVX2 and scalar (std::fmaf) paths
// all compute exactly that chain, so the result is bit-identical across SIMD paths, tile sizes
// and thread counts; the tests check this against each other and against a double reference.
#pragma once

namespace llmc {

// C[M,N] (+)= A[M,K] @ B[K,N]. Cache-blocked (K in blocks of 256, N in panels, 6-row register
// tiles), OpenMP over (row block, column block) pairs; parallel = false runs it on the calling
// thread (a caller that spreads many small products over its own threads).
void gemm_nn(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate, bool parallel = true);

// C[M,N] (+)= A^T @ B with A stored (K,M) and B (K,N): the weight gradient dW = dout^T @ inp
// without materialising dout^T. The same FMA chain per element as gemm_nn on A^T.
void gemm_tn(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate, bool parallel = true);

// C[M,N] (+)= A @ B^T with B stored (N,K): a linear layer with PyTorch/GGUF (out, in) weights,
// y = x W^T. The same FMA chain per element as gemm_nn on B^T (B is transposed while packed).
void gemm_nt(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate, bool parallel = true);

// AT[cols,rows] = A[rows,cols]^T (cache-blocked).
void transpose(const float* A, float* AT, int rows, int cols);

// Naive reference: C[M,N] (+)= A[M,K] @ B[K,N] with double accumulators (rounded once to fp32).
void gemm_nn_ref(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate);

}  // namespace llmc
