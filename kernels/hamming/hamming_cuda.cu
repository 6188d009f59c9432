// CUDA path of the H1 kernel: exact Hamming k-NN with a two-pass select, in the spirit of llm.c
// (plain kernels, one thread block per tile of queries, CPU reference beside it in search.cpp).
//
// Hamming distances are small integers in [0, m], so top-k selection needs no sort on the device:
//   pass 1 (hist_kernel):    every block scans the whole database for its QT queries and builds a
//                            histogram of distances per query in shared memory; one thread per
//                            query finds the threshold t = the k-th smallest distance and
//                            nless = #docs with distance < t.
//   pass 2 (collect_kernel): the block scans again; docs with distance < t are all in the top-k
//                            (any slot order), and of the docs with distance == t the ones with the
//                            smallest ids are taken (block-wide prefix count in id order), exactly
//                            k - nless of them.
// The host sorts each query's k results by (distance, id): the same k smallest (distance, id)
// pairs the CPU path returns, so the ids are bit-identical.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "binllm/errors.hpp"
#include "hamming_cuda.hpp"

namespace binllm {
namespace h1 {
namespace cuda {

namespace {

constexpr int kThreads = 512;          // threads per block (16 warps)
constexpr int kWarps = kThreads / 32;
constexpr int kMaxTile = 8;            // queries per block (QT), fewer for long codes
constexpr size_t kSmemBudget = 40 * 1024;

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  if (e == cudaErrorMemoryAllocation)
    throw ResourceError(std::string("CUDA out of device memory (") + what + ")");
  throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

// Distances of database code i to the tile's queries (sq: QT x W in shared memory).
__device__ __forceinline__ void tile_distances(const unsigned long long* __restrict__ db, size_t i, int W,
                                               const unsigned long long* sq, int qt, int dist[kMaxTile]) {
#pragma unroll
  for (int q = 0; q < kMaxTile; ++q) dist[q] = 0;
  const unsigned long long* code = db + i * static_cast<size_t>(W);
  for (int w = 0; w < W; ++w) {
    const unsigned long long x = code[w];
#pragma unroll
    for (int q = 0; q < kMaxTile; ++q)
      if (q < qt) dist[q] += __popcll(x ^ sq[q * W + w]);
  }
}

__global__ void hist_kernel(const unsigned long long* __restrict__ db, size_t n, int W, int m,
                            const unsigned long long* __restrict__ queries, size_t nq, int qt, int k,
                            int* __restrict__ thresh, int* __restrict__ nless) {
  extern __shared__ unsigned long long smem[];
  unsigned long long* sq = smem;                       // qt * W query words
  int* hist = reinterpret_cast<int*>(sq + qt * W);     // qt * (m + 1) bins
  const size_t q0 = static_cast<size_t>(blockIdx.x) * qt;
  const int nvalid = static_cast<int>(min(static_cast<size_t>(qt), nq - q0));
  for (int j = threadIdx.x; j < qt * W; j += blockDim.x)
    sq[j] = (j / W) < nvalid ? queries[(q0 + j / W) * W + j % W] : 0ULL;
  for (int j = threadIdx.x; j < qt * (m + 1); j += blockDim.x) hist[j] = 0;
  __syncthreads();

  int dist[kMaxTile];
  for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
    tile_distances(db, i, W, sq, nvalid, dist);
#pragma unroll
    for (int q = 0; q < kMaxTile; ++q)
      if (q < nvalid) atomicAdd(&hist[q * (m + 1) + dist[q]], 1);
  }
  __syncthreads();

  if (threadIdx.x < nvalid) {
    const int q = threadIdx.x;
    int cum = 0, t = m;
    for (int d = 0; d <= m; ++d) {
      const int h = hist[q * (m + 1) + d];
      if (cum + h >= k) {
        t = d;
        break;
      }
      cum += h;
    }
    thresh[q0 + q] = t;
    nless[q0 + q] = cum;
  }
}

__global__ void collect_kernel(const unsigned long long* __restrict__ db, size_t n, int W,
                               const unsigned long long* __restrict__ queries, size_t nq, int qt, int k,
                               const int* __restrict__ thresh, const int* __restrict__ nless,
                               int* __restrict__ out_ids, int* __restrict__ out_dist) {
  extern __shared__ unsigned long long smem[];
  unsigned long long* sq = smem;
  __shared__ int lt_count[kMaxTile];
  __shared__ int eq_taken[kMaxTile];
  __shared__ int warp_eq[kMaxTile][kWarps];
  __shared__ int s_t[kMaxTile], s_nless[kMaxTile];
  const size_t q0 = static_cast<size_t>(blockIdx.x) * qt;
  const int nvalid = static_cast<int>(min(static_cast<size_t>(qt), nq - q0));
  for (int j = threadIdx.x; j < qt * W; j += blockDim.x)
    sq[j] = (j / W) < nvalid ? queries[(q0 + j / W) * W + j % W] : 0ULL;
  if (threadIdx.x < kMaxTile) {
    const int q = threadIdx.x;
    lt_count[q] = 0;
    eq_taken[q] = 0;
    s_t[q] = q < nvalid ? thresh[q0 + q] : -1;
    s_nless[q] = q < nvalid ? nless[q0 + q] : 0;
  }
  __syncthreads();

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const unsigned lanes_below = (1u << lane) - 1u;
  int dist[kMaxTile];
  // Every thread runs the same number of chunk iterations (ballots and barriers inside).
  for (size_t base = 0; base < n; base += blockDim.x) {
    const size_t i = base + threadIdx.x;
    const bool valid = i < n;
    if (valid) {
      tile_distances(db, i, W, sq, nvalid, dist);
    } else {
#pragma unroll
      for (int q = 0; q < kMaxTile; ++q) dist[q] = -2;
    }
    int eq_rank[kMaxTile];
#pragma unroll
    for (int q = 0; q < kMaxTile; ++q) {
      const bool is_eq = valid && q < nvalid && dist[q] == s_t[q];
      const unsigned mask = __ballot_sync(0xffffffffu, is_eq);
      eq_rank[q] = is_eq ? __popc(mask & lanes_below) : -1;
      if (lane == 0) warp_eq[q][warp] = __popc(mask);
      if (valid && q < nvalid && dist[q] < s_t[q]) {
        const int pos = atomicAdd(&lt_count[q], 1);  // < nless <= k - 1: order fixed by the host sort
        out_ids[(q0 + q) * k + pos] = static_cast<int>(i);
        out_dist[(q0 + q) * k + pos] = dist[q];
      }
    }
    __syncthreads();
#pragma unroll
    for (int q = 0; q < kMaxTile; ++q) {
      if (eq_rank[q] >= 0) {
        int before = eq_taken[q];
        for (int w = 0; w < warp; ++w) before += warp_eq[q][w];
        const int rank = before + eq_rank[q];  // position among distance == t docs, in id order
        const int need = k - s_nless[q];
        if (rank < need) {
          out_ids[(q0 + q) * k + s_nless[q] + rank] = static_cast<int>(i);
          out_dist[(q0 + q) * k + s_nless[q] + rank] = dist[q];
        }
      }
    }
    __syncthreads();
    if (threadIdx.x < kMaxTile) {
      int total = 0;
      for (int w = 0; w < kWarps; ++w) total += warp_eq[threadIdx.x][w];
      eq_taken[threadIdx.x] += total;
    }
    __syncthreads();
  }
}

template <typename T>
struct DeviceBuffer {
  T* p = nullptr;
  explicit DeviceBuffer(size_t count, const char* what) {
    if (count) check(cudaMalloc(reinterpret_cast<void**>(&p), count * sizeof(T)), what);
  }
  ~DeviceBuffer() {
    if (p) cudaFree(p);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

}  // namespace

DeviceProps open_device(int index) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0)
    throw ResourceError("no CUDA device available for cuda:" + std::to_string(index) + " (" +
                        (e != cudaSuccess ? cudaGetErrorString(e) : "0 devices") + ")");
  if (index < 0 || index >= count)
    throw ResourceError("CUDA device cuda:" + std::to_string(index) + " does not exist (" + std::to_string(count) +
                        " device(s))");
  check(cudaSetDevice(index), "cudaSetDevice");
  cudaDeviceProp p;
  check(cudaGetDeviceProperties(&p, index), "cudaGetDeviceProperties");
  DeviceProps d;
  d.name = p.name;
  d.cc = std::to_string(p.major) + "." + std::to_string(p.minor);
  d.total_mem = p.totalGlobalMem;
  int clock_khz = 0, bus_bits = 0;
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, index) == cudaSuccess &&
      cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, index) == cudaSuccess)
    d.mem_bw_bytes_per_s = 2.0 * clock_khz * 1e3 * (bus_bits / 8.0);
  cudaGetLastError();  // clear a possibly unsupported-attribute error
  return d;
}

TopK hamming_knn(int device, const Codes& db, const Codes& queries, int k, Timing* timing) {
  if (db.W != queries.W) throw std::invalid_argument("cuda::hamming_knn: code lengths differ");
  if (k < 1 || static_cast<size_t>(k) > db.n) throw std::invalid_argument("cuda::hamming_knn: k out of range");
  if (db.m > kMaxBits) throw std::invalid_argument("cuda::hamming_knn: m exceeds kMaxBits");
  check(cudaSetDevice(device), "cudaSetDevice");
  const int W = db.W, m = db.m;
  const size_t n = db.n, nq = queries.n;
  // queries per block: as many as fit the shared-memory budget (histograms of m + 1 bins)
  int qt = static_cast<int>(kSmemBudget / (static_cast<size_t>(m + 1) * 4 + static_cast<size_t>(W) * 8));
  qt = std::max(1, std::min(kMaxTile, qt));
  // enough blocks to fill the device (>= 2 per SM) before packing more queries into a block
  int sms = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) == cudaSuccess && sms > 0)
    qt = std::max(1, std::min(qt, static_cast<int>(nq / (2 * static_cast<size_t>(sms)))));
  const size_t smem_hist = static_cast<size_t>(qt) * W * 8 + static_cast<size_t>(qt) * (m + 1) * 4;
  const size_t smem_collect = static_cast<size_t>(qt) * W * 8;
  const unsigned blocks = static_cast<unsigned>((nq + qt - 1) / qt);

  DeviceBuffer<unsigned long long> d_db(n * W, "cudaMalloc(database)");
  check(cudaMemcpy(d_db.p, db.words.data(), n * W * 8, cudaMemcpyHostToDevice), "cudaMemcpy(database)");

  const auto t0 = std::chrono::steady_clock::now();
  DeviceBuffer<unsigned long long> d_q(nq * W, "cudaMalloc(queries)");
  DeviceBuffer<int> d_t(nq, "cudaMalloc(thresholds)"), d_nl(nq, "cudaMalloc(nless)");
  DeviceBuffer<int> d_ids(nq * k, "cudaMalloc(ids)"), d_dist(nq * k, "cudaMalloc(dists)");
  check(cudaMemcpy(d_q.p, queries.words.data(), nq * W * 8, cudaMemcpyHostToDevice), "cudaMemcpy(queries)");
  cudaEvent_t e0, e1;
  check(cudaEventCreate(&e0), "cudaEventCreate");
  check(cudaEventCreate(&e1), "cudaEventCreate");
  check(cudaEventRecord(e0), "cudaEventRecord");
  hist_kernel<<<blocks, kThreads, smem_hist>>>(d_db.p, n, W, m, d_q.p, nq, qt, k, d_t.p, d_nl.p);
  check(cudaGetLastError(), "hist_kernel launch");
  collect_kernel<<<blocks, kThreads, smem_collect>>>(d_db.p, n, W, d_q.p, nq, qt, k, d_t.p, d_nl.p, d_ids.p,
                                                     d_dist.p);
  check(cudaGetLastError(), "collect_kernel launch");
  check(cudaEventRecord(e1), "cudaEventRecord");
  check(cudaEventSynchronize(e1), "kernels");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, e0, e1), "cudaEventElapsedTime");
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);

  TopK out;
  out.nq = nq;
  out.k = k;
  out.ids.resize(nq * k);
  out.dist.resize(nq * k);
  check(cudaMemcpy(out.ids.data(), d_ids.p, nq * k * 4, cudaMemcpyDeviceToHost), "cudaMemcpy(ids)");
  check(cudaMemcpy(out.dist.data(), d_dist.p, nq * k * 4, cudaMemcpyDeviceToHost), "cudaMemcpy(dists)");
  // order each query's k results by (distance, id), as the CPU path does
  std::vector<std::pair<int32_t, int32_t>> row(static_cast<size_t>(k));
  for (size_t q = 0; q < nq; ++q) {
    for (int j = 0; j < k; ++j) row[j] = {out.dist[q * k + j], out.ids[q * k + j]};
    std::sort(row.begin(), row.end());
    for (int j = 0; j < k; ++j) {
      out.dist[q * k + j] = row[j].first;
      out.ids[q * k + j] = row[j].second;
    }
  }
  if (timing) {
    timing->kernel_s = ms / 1e3;
    timing->search_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    timing->bytes_scanned = 2 * static_cast<size_t>(blocks) * n * W * 8;
  }
  return out;
}

}  // namespace cuda
}  // namespace h1
}  // namespace binllm
