#!/usr/bin/env bash
# Times the quick H2 cell: one seed, int4 then bin KV (the second loads the cached model),
# three context lengths. Usage: kernels/bench/h2_quick.sh [binllm-lm] [seed]
set -eu
BIN=${1:-.binllm/build/kernels/bin/binllm-lm}
SEED=${2:-1}
WD=$(mktemp -d "${TMPDIR:-/tmp}/h2quick.XXXXXX")
trap 'rm -rf "$WD"' EXIT
for KV in int4 bin; do
  cat > "$WD/cell.json" <<JSON
{"seed": $SEED, "threads": 2, "kv": "$KV", "contexts": [64, 96, 128],
 "d_model": 64, "n_layers": 2, "n_heads": 4, "ctx": 128, "tied": true,
 "steps": 1000, "batch": 16, "lr": 0.01, "weight_decay": 0.1,
 "dataset": "synthetic", "vocab": 16, "markov_order": 2, "markov_sharpness": 3.0,
 "n_train_tokens": 200000, "n_valid_tokens": 32768, "work_dir": "$WD"}
JSON
  START=$(date +%s.%N)
  "$BIN" run --config "$WD/cell.json" 2>/dev/null |
    grep '"event":"metric"' |
    grep -E '"name":"(ppl|kv_cache_bytes|train_loss_final|entropy_rate_nats|train_time_s|model_cached|tokens_per_s)"' |
    sed -e 's/{"event":"metric",//' -e 's/}$//'
  END=$(date +%s.%N)
  echo "kv=$KV wall $(echo "$END - $START" | bc) s"
done
