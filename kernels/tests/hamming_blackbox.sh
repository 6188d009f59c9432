#!/usr/bin/env bash
# Black-box tests of binllm-hamming: describe, metrics, determinism, exit codes and messages.
BIN=$1
TESTBIN=$2
. "$(dirname "$0")/lib.sh"

D=$("$BIN" describe); RC=$?; OUT=$D; ERR=""
expect_rc 0 "describe"
expect_out_has '"name":"hamming"' "describe name"
expect_out_has '"hypotheses":["H1"]' "describe hypotheses"
for p in binarizer bits ks itq_iters simd rescore_multiplier rescore_vectors dataset n_docs n_queries dim n_topics query_noise corpus_npy queries_npy beir_dir seed device threads work_dir; do
  expect_out_has "\"$p\":{" "describe schema documents $p"
done

SMALL='"n_docs": 2000, "n_queries": 50, "dim": 64, "n_topics": 10'

run_cfg "$BIN" "{\"seed\": 3, $SMALL, \"binarizer\": \"rhp\", \"bits\": 100, \"threads\": 2}"
expect_rc 0 "rhp run"
expect_jsonl "rhp run"
for m in '"name":"overlap_at_k","value":[0-9.e-]*,"tags":{"bits":100,"k":10}' \
         '"name":"overlap_at_k","value":[0-9.e-]*,"tags":{"bits":100,"k":50}' \
         '"name":"recall_at_k_float","value":[0-9.e-]*,"tags":{"bits":100,"k":10}' \
         '"name":"recall_at_k_binary","value":[0-9.e-]*,"tags":{"bits":100,"k":50}' \
         '"name":"ndcg_at_10_float","value":[0-9.e-]*,"tags":{"bits":100}' \
         '"name":"ndcg_at_10_binary","value":[0-9.e-]*,"tags":{"bits":100}' \
         '"name":"bytes_per_vector","value":16,"tags":{"bits":100,"repr":"binary"}' \
         '"name":"bytes_per_vector","value":256,"tags":{"repr":"float32"}' \
         '"name":"queries_per_s_float"' '"name":"queries_per_s_binary"' '"name":"elapsed_s"'; do
  if printf '%s\n' "$OUT" | grep -q "$m"; then ok "metric $m"; else fail "missing metric $m"; fi
done
expect_out_has '"event":"end","status":"ok"' "end ok"
# rescored metrics (default multiplier 4, sentence-transformers scoring) and per-query values
for m in '"name":"overlap_at_k_rescored","value":[0-9.e-]*,"tags":{"bits":100,"k":10,"rescore_multiplier":4,"rescore_vectors":"binary"}' \
         '"name":"recall_at_k_rescored","value":[0-9.e-]*,"tags":{"bits":100,"k":50,"rescore_multiplier":4,"rescore_vectors":"binary"}' \
         '"name":"ndcg_at_10_rescored","value":[0-9.e-]*,"tags":{"bits":100,"rescore_multiplier":4,"rescore_vectors":"binary"}' \
         '"name":"queries_per_s_float","value":[0-9.e+-]*,"tags":{"bits":100,"threads":2}' \
         '"name":"queries_per_s_binary","value":[0-9.e+-]*,"tags":{"bits":100,"threads":2,"simd":"[a-z0-9]*"}'; do
  if printf '%s\n' "$OUT" | grep -q "$m"; then ok "metric $m"; else fail "missing metric $m"; fi
done
for v in overlap_at_k overlap_at_k_rescored recall_at_k_float recall_at_k_binary recall_at_k_rescored \
         ndcg_at_10_float ndcg_at_10_binary ndcg_at_10_rescored; do
  N=$(printf '%s\n' "$OUT" | grep "\"event\":\"values\",\"name\":\"$v\",\"unit\":\"query\"" | head -1 | grep -o '"q[0-9]*"' | wc -l)
  [ "$N" -ge 1 ] && [ "$N" -le 50 ] && ok "values $v: $N query ids" || fail "values $v: $N query ids"
done
N=$(printf '%s\n' "$OUT" | grep '"event":"values","name":"overlap_at_k","unit":"query","tags":{"bits":100,"k":10}' | grep -o '"q[0-9]*"' | wc -l)
[ "$N" = 50 ] && ok "overlap values for all 50 queries" || fail "overlap values for $N queries"
case "$ERR" in *"SIMD path "*) ok "log line names the SIMD path" ;; *) fail "no SIMD path in the log: $ERR" ;; esac
A=$(printf '%s\n' "$OUT" | grep '"event":"metric"' | grep -v -e queries_per_s -e elapsed_s)

# deterministic across runs and thread counts (all but timing metrics)
run_cfg "$BIN" "{\"seed\": 3, $SMALL, \"binarizer\": \"rhp\", \"bits\": 100, \"threads\": 1}"
B=$(printf '%s\n' "$OUT" | grep '"event":"metric"' | grep -v -e queries_per_s -e elapsed_s)
[ "$A" = "$B" ] && ok "threads=1 and threads=2 give identical metrics" || fail "metrics differ across thread counts"
run_cfg "$BIN" "{\"seed\": 4, $SMALL, \"binarizer\": \"rhp\", \"bits\": 100}"
C=$(printf '%s\n' "$OUT" | grep '"event":"metric"' | grep -v -e queries_per_s -e elapsed_s)
[ "$A" != "$C" ] && ok "another seed gives other metrics" || fail "seed has no effect"

# float metrics depend only on the seed (same data draw for every binarizer and m)
F1=$(printf '%s\n' "$A" | grep ndcg_at_10_float | sed 's/"tags".*//')
run_cfg "$BIN" "{\"seed\": 3, $SMALL, \"binarizer\": \"sign\", \"threads\": 2}"
expect_rc 0 "sign run"
F2=$(printf '%s\n' "$OUT" | grep '"event":"metric"' | grep ndcg_at_10_float | sed 's/"tags".*//')
[ -n "$F1" ] && [ "$F1" = "$F2" ] && ok "same data draw for rhp and sign" || fail "float nDCG differs between binarizers: $F1 / $F2"

run_cfg "$BIN" "{\"seed\": 3, $SMALL, \"binarizer\": \"itq\", \"bits\": 32, \"itq_iters\": 10, \"threads\": 2}"
expect_rc 0 "itq run"
expect_out_has '"event":"progress","phase":"itq"' "itq progress"
expect_out_has '"tags":{"bits":32,"k":10}' "itq metrics"

run_cfg "$BIN" '{"seed": 1, "n_docs": 300, "n_queries": 5, "dim": 1, "n_topics": 2, "binarizer": "rhp", "bits": 65, "ks": [10]}'
expect_rc 0 "d = 1, m = 65"

# forced SIMD paths give identical results; a path the CPU lacks exits 3 naming it
REF=$(run_cfg "$BIN" "{\"seed\": 3, $SMALL, \"binarizer\": \"rhp\", \"bits\": 100, \"simd\": \"portable\"}"; printf '%s\n' "$OUT" | grep -v -e queries_per_s -e elapsed_s -e '"event":"start"' -e '"event":"end"' -e progress)
for path in avx2 avx512; do
  run_cfg "$BIN" "{\"seed\": 3, $SMALL, \"binarizer\": \"rhp\", \"bits\": 100, \"simd\": \"$path\"}"
  if grep -q "$( [ $path = avx2 ] && echo ' avx2' || echo ' avx512vpopcntdq')" /proc/cpuinfo; then
    expect_rc 0 "simd $path on a CPU that has it"
    GOT=$(printf '%s\n' "$OUT" | grep -v -e queries_per_s -e elapsed_s -e '"event":"start"' -e '"event":"end"' -e progress)
    [ "$GOT" = "$REF" ] && ok "simd $path = portable (metrics and per-query values)" || fail "simd $path differs from portable"
    expect_out_has "\"simd\":\"$path\"" "queries_per_s_binary names $path"
  else
    expect_rc 3 "simd $path on a CPU without it"
    expect_out_has "SIMD path '$path'" "simd $path named in the error"
  fi
done
run_cfg "$BIN" "{\"seed\": 3, $SMALL, \"binarizer\": \"rhp\", \"bits\": 100, \"rescore_multiplier\": 1, \"rescore_vectors\": \"float\"}"
expect_rc 0 "rescore_multiplier 1, float"
expect_out_has '"rescore_multiplier":1,"rescore_vectors":"float"' "rescore tags follow the params"

# bad configs: exit 2, message names the parameter (and value)
run_cfg "$BIN" '{"n_docs": 20, "n_queries": 3, "ks": [10, 50]}'
expect_rc 2 "k > N"
expect_out_has "parameter 'ks'" "k > N names ks"
expect_out_has "50 > n_docs = 20" "k > N names the values"
run_cfg "$BIN" "{$SMALL, \"binarizer\": \"sign\", \"bits\": 32}"
expect_rc 2 "sign with bits != d"
expect_out_has "parameter 'bits' = 32" "sign bits message"
run_cfg "$BIN" "{$SMALL, \"binarizer\": \"itq\", \"bits\": 65}"
expect_rc 2 "itq with bits > d"
expect_out_has "parameter 'bits' = 65" "itq bits message"
run_cfg "$BIN" '{"binarizer": "lsh"}'
expect_rc 2 "unknown binarizer"
expect_out_has "parameter 'binarizer' = \\\"lsh\\\"" "binarizer named"
run_cfg "$BIN" '{"bits": 0}'
expect_rc 2 "bits = 0"
run_cfg "$BIN" '{"ks": []}'
expect_rc 2 "empty ks"
run_cfg "$BIN" '{"ks": [10, 10]}'
expect_rc 2 "duplicate ks"
expect_out_has "twice" "duplicate ks message"
run_cfg "$BIN" '{"simd": "sse"}'
expect_rc 2 "unknown simd"
expect_out_has "parameter 'simd'" "simd named"
run_cfg "$BIN" '{"rescore_multiplier": 0}'
expect_rc 2 "rescore_multiplier 0"
expect_out_has "parameter 'rescore_multiplier'" "rescore_multiplier named"
run_cfg "$BIN" '{"n_doc": 10}'
expect_rc 2 "misspelt key"
expect_out_has "unknown parameter 'n_doc'" "misspelt key named"
run_cfg "$BIN" '{"corpus_npy": "/x.npy"}'
expect_rc 2 "file key on synthetic"
expect_out_has "parameter 'corpus_npy'" "file key named"

# cuda: without CUDA build or without a GPU -> exit 3
run_cfg "$BIN" "{$SMALL, \"device\": \"cuda:0\"}"
expect_rc 3 "device cuda:0 without GPU"

# file inputs
FX="$TMP/fx"
"$TESTBIN" --write-fixtures "$FX" || fail "writing fixtures"
run_cfg "$BIN" "{\"dataset\": \"npy\", \"corpus_npy\": \"$FX/corpus.npy\", \"queries_npy\": \"$FX/queries.npy\", \"binarizer\": \"rhp\", \"bits\": 64}"
expect_rc 0 "npy dataset"
expect_out_has '"name":"overlap_at_k"' "npy overlap"
expect_out_lacks '"name":"ndcg_at_10_binary"' "npy: no nDCG without qrels"
run_cfg "$BIN" "{\"dataset\": \"beir\", \"beir_dir\": \"$FX/beir\", \"binarizer\": \"sign\"}"
expect_rc 0 "beir dataset"
expect_out_has '"name":"ndcg_at_10_binary"' "beir nDCG"
# the beir fixture is the synthetic draw with seed 1: identical metrics to the synthetic run
BEIR=$(printf '%s\n' "$OUT" | grep '"event":"metric"' | grep -e ndcg_at_10 -e recall_at | sed 's/"tags".*//')
# per-query values carry the BEIR query ids of the judged queries
expect_out_has '"event":"values","name":"ndcg_at_10_binary","unit":"query","tags":{"bits":32},"ids":["query-0",' \
  "beir per-query values name the BEIR query ids"
run_cfg "$BIN" '{"seed": 1, "n_docs": 500, "n_queries": 30, "dim": 32, "n_topics": 8, "binarizer": "sign"}'
SYN=$(printf '%s\n' "$OUT" | grep '"event":"metric"' | grep -e ndcg_at_10 -e recall_at | sed 's/"tags".*//')
[ -n "$SYN" ] && [ "$BEIR" = "$SYN" ] && ok "beir files reproduce the synthetic metrics" || fail "beir vs synthetic differ"

for bad in notnpy:"bad magic" f8:"dtype" truncated:"truncated data" dim16:"dimensions differ"; do
  f=${bad%%:*}; msg=${bad#*:}
  run_cfg "$BIN" "{\"dataset\": \"npy\", \"corpus_npy\": \"$FX/corpus.npy\", \"queries_npy\": \"$FX/$f.npy\"}"
  expect_rc 2 "malformed npy $f"
  expect_out_has "$msg" "npy $f message"
  expect_out_has "$f.npy" "npy $f names the file"
done
run_cfg "$BIN" "{\"dataset\": \"npy\", \"corpus_npy\": \"$FX/missing.npy\", \"queries_npy\": \"$FX/queries.npy\"}"
expect_rc 2 "missing npy"
expect_out_has "missing.npy" "missing npy named"
run_cfg "$BIN" "{\"dataset\": \"beir\", \"beir_dir\": \"$FX/beir\", \"qrels_split\": \"dev\"}"
expect_rc 2 "missing qrels"
expect_out_has "qrels/dev.tsv" "missing qrels file named"
run_cfg "$BIN" "{\"dataset\": \"beir\", \"beir_dir\": \"$FX/beir\", \"qrels_split\": \"broken\"}"
expect_rc 2 "malformed qrels"
expect_out_has "field 'score'" "malformed qrels field named"
run_cfg "$BIN" "{\"dataset\": \"beir\", \"beir_dir\": \"$FX/beir\", \"queries_npy\": \"$FX/corpus.npy\"}"
expect_rc 2 "queries.jsonl count mismatch"
expect_out_has "queries.jsonl" "count mismatch names queries.jsonl"
run_cfg "$BIN" "{\"dataset\": \"npy\", \"corpus_npy\": \"$FX/corpus.npy\"}"
expect_rc 2 "missing queries_npy"
expect_out_has "'queries_npy'" "missing queries_npy named"

# SIGTERM during a long run ends it within 5 s
printf '{"n_docs": 300000, "n_queries": 3000, "dim": 256, "binarizer": "rhp", "bits": 1024}\n' > "$TMP/long.json"
"$BIN" run --config "$TMP/long.json" > "$TMP/out" 2> "$TMP/err" &
PID=$!
sleep 1
T0=$(date +%s%N)
kill -TERM "$PID"
wait "$PID"; RC=$?
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
[ "$RC" -ne 0 ] && ok "SIGTERM exit code $RC" || fail "SIGTERM exit code 0"
[ "$MS" -lt 5000 ] && ok "SIGTERM honoured in ${MS} ms" || fail "SIGTERM took ${MS} ms"

finish
