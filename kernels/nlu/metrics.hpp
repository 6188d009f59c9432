// Classification metrics on a 0–100 scale: accuracy, F1 (binary: of class 1, as GLUE reports it
// for MRPC/QQP; more classes: macro F1) and Matthews correlation (binary: the usual phi; more
// classes: Gorodkin's R_K). Computed in double from the confusion matrix.
#pragma once

#include <cmath>
#include <vector>

namespace nlu {

struct ClassMetrics {
  double accuracy = 0, f1 = 0, mcc = 0;
};

inline ClassMetrics class_metrics(const std::vector<int>& pred, const std::vector<int>& gold, int K) {
  std::vector<double> cm((size_t)K * K, 0.0);  // cm[g*K + p]
  for (size_t i = 0; i < pred.size(); i++) cm[(size_t)gold[i] * K + pred[i]] += 1;
  const double n = (double)pred.size();
  ClassMetrics m;
  if (n == 0) return m;
  double correct = 0;
  for (int k = 0; k < K; k++) correct += cm[(size_t)k * K + k];
  m.accuracy = 100.0 * correct / n;
  auto f1_of = [&](int k) {
    double tp = cm[(size_t)k * K + k], fp = 0, fn = 0;
    for (int j = 0; j < K; j++)
      if (j != k) {
        fp += cm[(size_t)j * K + k];
        fn += cm[(size_t)k * K + j];
      }
    return tp == 0 ? 0.0 : 2 * tp / (2 * tp + fp + fn);
  };
  if (K == 2) {
    m.f1 = 100.0 * f1_of(1);
  } else {
    double s = 0;
    for (int k = 0; k < K; k++) s += f1_of(k);
    m.f1 = 100.0 * s / K;
  }
  // Gorodkin: (c*n - sum_k p_k t_k) / sqrt((n^2 - sum p_k^2)(n^2 - sum t_k^2)); equals phi for K = 2
  double sp2 = 0, st2 = 0, spt = 0;
  for (int k = 0; k < K; k++) {
    double pk = 0, tk = 0;
    for (int j = 0; j < K; j++) {
      pk += cm[(size_t)j * K + k];
      tk += cm[(size_t)k * K + j];
    }
    sp2 += pk * pk;
    st2 += tk * tk;
    spt += pk * tk;
  }
  const double den = std::sqrt((n * n - sp2) * (n * n - st2));
  m.mcc = den == 0 ? 0.0 : 100.0 * (correct * n - spt) / den;
  return m;
}

}  // namespace nlu
