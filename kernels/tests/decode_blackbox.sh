#!/usr/bin/env bash
# Black-box tests of binllm-decode-bench: the config contract (exit 2 naming the parameter, exit 3
# when the cache does not fit or there is no GPU), a tiny cell's metrics, energy only when
# measured, thread-count determinism, SIGTERM. Usage: decode_blackbox.sh <binllm-decode-bench>
BIN=$1
. "$(dirname "$0")/lib.sh"

TINY='"d_model":128,"n_heads":2,"d_ff":128,"n_layers":1,"steps":2,"warmup":1,"window_s":0'

# --- bad configs: exit 2 and the message names the parameter
run_cfg "$BIN" "{\"seed\":1,$TINY,\"n_heads\":3}"
expect_rc 2 "heads not dividing width"; expect_err_has "n_heads" "names n_heads"
expect_out_has '"status":"error"' "error end event"
run_cfg "$BIN" "{\"seed\":1,\"d_model\":128,\"n_heads\":4}"
expect_rc 2 "head_dim 32 (not a multiple of 64)"; expect_err_has "head_dim" "names head_dim"
run_cfg "$BIN" "{\"seed\":1,\"d_model\":256,\"n_heads\":4,\"n_kv_heads\":3}"
expect_rc 2 "kv heads not dividing heads"; expect_err_has "n_kv_heads" "names n_kv_heads"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"quant\":\"int3\"}"
expect_rc 2 "unknown quant"; expect_err_has "'quant'" "names quant"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"d_ff\":100}"
expect_rc 2 "d_ff not a multiple of 64"; expect_err_has "d_ff" "names d_ff"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"contexts\":[0]}"
expect_rc 2 "context 0"; expect_err_has "contexts" "names contexts"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"bogus\":1}"
expect_rc 2 "unknown key"; expect_err_has "bogus" "names bogus"
# --- resources: a cache larger than memory is exit 3 before anything is allocated
run_cfg "$BIN" "{\"seed\":1,\"d_model\":8192,\"n_heads\":64,\"n_layers\":80,\"quant\":\"fp16\",\"contexts\":[1024,16777216]}"
expect_rc 3 "L beyond memory"; expect_err_has "contexts: L = 16777216" "names contexts and L"
expect_out_lacks '"event":"start"' "fails before the start event"
if ! "$BIN" describe | grep -q '"cuda"'; then
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"device\":\"cuda:0\"}"
  expect_rc 3 "cuda on a CPU-only build"
else
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"contexts\":[512],\"device\":\"cuda:0\"}"
  if [ "$RC" = 0 ] || [ "$RC" = 3 ]; then ok "cuda:0 on a CUDA build (rc=$RC)"; else fail "cuda:0: rc=$RC; $ERR"; fi
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"device\":\"cuda:99\"}"
  expect_rc 3 "cuda:99 does not exist"
fi

# --- a tiny cell per variant
rapl=0
for f in /sys/class/powercap/intel-rapl:*/energy_uj; do [ -r "$f" ] && rapl=1; done
for q in bin int4 fp16; do
  run_cfg "$BIN" "{\"seed\":3,$TINY,\"quant\":\"$q\",\"contexts\":[100,1024],\"threads\":1}"
  expect_rc 0 "tiny $q cell"; expect_jsonl "tiny $q cell"
  for m in tokens_per_s kv_cache_bytes weight_bytes bytes_per_token achieved_gbps bandwidth_fraction; do
    expect_out_has "\"name\":\"$m\",\"value\":" "$q emits $m"
  done
  expect_out_has '"tags":{"ctx":1024}' "$q ctx tag"
  expect_out_has '"name":"threads","value":1' "$q threads metric"
  expect_out_has '"simd":"' "$q names its SIMD path in the start event"
  if [ $rapl = 1 ]; then
    expect_out_has '"name":"joules_per_token"' "$q energy from RAPL"
  else
    expect_out_lacks 'joules_per_token' "$q: no energy metric without RAPL"
    expect_out_has '"energy":"none: RAPL' "$q says which energy source is missing"
    expect_err_has "no energy metric" "$q logs the missing source"
  fi
done
# bytes: bin KV is 1 bit per scalar, int4 4.5 bits (18-byte blocks of 32)
kvb() { printf '%s\n' "$OUT" | grep '"name":"kv_cache_bytes"' | grep '"ctx":1024' | sed 's/.*"value":\([0-9.e+]*\).*/\1/'; }
run_cfg "$BIN" "{\"seed\":3,$TINY,\"quant\":\"bin\",\"contexts\":[1024],\"threads\":1}"; KB=$(kvb)
run_cfg "$BIN" "{\"seed\":3,$TINY,\"quant\":\"int4\",\"contexts\":[1024],\"threads\":1}"; K4=$(kvb)
# bin: 2 * 1024 * 128 bits + 2 * 128 fp32 scales; int4: 2 * 1024 * 128 / 32 * 18
[ "$KB" = "33792" ] && ok "bin kv bytes" || fail "bin kv bytes $KB"
[ "$K4" = "147456" ] && ok "int4 kv bytes" || fail "int4 kv bytes $K4"

# --- determinism: the hidden state is the same for 1 and 2 threads
hid() { printf '%s\n' "$OUT" | grep '"name":"hidden_mean_abs"'; }
for q in bin int4; do
  run_cfg "$BIN" "{\"seed\":4,$TINY,\"quant\":\"$q\",\"contexts\":[700],\"threads\":1}"; A=$(hid)
  run_cfg "$BIN" "{\"seed\":4,$TINY,\"quant\":\"$q\",\"contexts\":[700],\"threads\":2}"; B=$(hid)
  [ -n "$A" ] && [ "$A" = "$B" ] && ok "$q hidden state 1 vs 2 threads" || fail "$q hidden differs: $A // $B"
done

# --- SIGTERM ends a long window within 5 s
printf '%s\n' "{\"seed\":1,${TINY%,\"window_s\":0},\"contexts\":[1024],\"window_s\":600}" > "$TMP/long.json"
"$BIN" run --config "$TMP/long.json" > "$TMP/long.out" 2>&1 &
PID=$!
sleep 2
T0=$(date +%s)
kill -TERM $PID
wait $PID
RC=$?
T1=$(date +%s)
[ $((T1 - T0)) -le 5 ] && ok "SIGTERM ended the kernel in $((T1 - T0)) s (rc=$RC)" || fail "SIGTERM took $((T1 - T0)) s"
[ "$RC" = 143 ] && ok "exit 128+15" || fail "SIGTERM rc=$RC"
finish
