#!/usr/bin/env bash
# Black-box tests of binllm-noop: describe, events, exit codes, crash-once, cancellation.
BIN=$1
. "$(dirname "$0")/lib.sh"

D=$("$BIN" describe); RC=$?
OUT=$D; ERR=""
expect_rc 0 "describe"
expect_out_has '"name":"noop"' "describe name"
expect_out_has '"hypotheses":[]' "describe hypotheses"
expect_out_has '"devices":["cpu"' "describe devices"
expect_out_has '"sleep_ms":{' "describe schema has sleep_ms"

"$BIN" --help > /dev/null; RC=$?; ERR=""; expect_rc 0 "--help"
"$BIN" > /dev/null 2>&1; RC=$?; ERR=""; expect_rc 2 "no arguments"

run_cfg "$BIN" '{"seed": 5, "metrics": 2}'
expect_rc 0 "default run"
expect_jsonl "default run"
expect_out_has '"event":"start","kernel":"noop"' "start event"
expect_out_has '"name":"noop_value_1"' "metric 1"
expect_out_has '"tags":{"i":1}' "metric tags"
expect_out_has '"event":"end","status":"ok"' "end ok"
V1=$(printf '%s\n' "$OUT" | grep noop_value_0)
run_cfg "$BIN" '{"seed": 5, "metrics": 2, "threads": 1}'
V2=$(printf '%s\n' "$OUT" | grep noop_value_0)
[ "$V1" = "$V2" ] && ok "deterministic in seed" || fail "values differ: $V1 / $V2"
run_cfg "$BIN" '{"seed": 6, "metrics": 2}'
V3=$(printf '%s\n' "$OUT" | grep noop_value_0)
[ "$V1" != "$V3" ] && ok "seed changes value" || fail "seed has no effect"

run_cfg "$BIN" '{"exit_code": 2}'
expect_rc 2 "exit_code=2"
expect_out_has '"status":"error"' "exit_code=2 error end"
expect_out_has 'noop: exit_code=2 requested' "exit_code=2 message"

run_cfg "$BIN" '{"exit_code": 7}'
expect_rc 7 "exit_code=7 (crash)"
expect_out_lacks '"event":"end"' "crash has no end event"

run_cfg "$BIN" '{"metrics": -1}'
expect_rc 2 "out-of-range param"
expect_out_has "parameter 'metrics' = -1" "message names parameter and value"
expect_err_has "cfg.json" "message names the file"

run_cfg "$BIN" '{"metricz": 1}'
expect_rc 2 "unknown key"
expect_out_has "unknown parameter 'metricz'" "unknown key named"

run_cfg "$BIN" '{"device": "cuda:0"}'
expect_rc 3 "cuda on a cpu-only kernel"

printf '{"a": 1,\n "b": }' > "$TMP/bad.json"
"$BIN" run --config "$TMP/bad.json" > "$TMP/out" 2> "$TMP/err"; RC=$?; ERR=$(cat "$TMP/err")
expect_rc 2 "malformed JSON"
expect_err_has "line 2, column" "JSON error position"

"$BIN" run --config "$TMP/does-not-exist.json" > /dev/null 2> "$TMP/err"; RC=$?; ERR=$(cat "$TMP/err")
expect_rc 2 "missing config file"

rm -f "$TMP/once"
run_cfg "$BIN" "{\"crash_once_file\": \"$TMP/once\"}"
[ "$RC" -ne 0 ] && [ "$RC" -ne 2 ] && [ "$RC" -ne 3 ] && ok "crash_once first run crashes (rc=$RC)" || fail "crash_once rc=$RC"
[ -f "$TMP/once" ] && ok "crash_once file created" || fail "crash_once file missing"
run_cfg "$BIN" "{\"crash_once_file\": \"$TMP/once\"}"
expect_rc 0 "crash_once retry succeeds"

run_cfg "$BIN" '{"sleep_ms": 600, "progress_steps": 3}'
expect_rc 0 "sleep with progress"
N=$(printf '%s\n' "$OUT" | grep -c '"event":"progress"')
[ "$N" -ge 2 ] && [ "$N" -le 4 ] && ok "progress count $N" || fail "progress count $N"
expect_out_has '"done":3,"total":3' "final progress"

# cancellation: SIGTERM must end it within 5 s with a non-zero code
printf '{"sleep_ms": 60000}\n' > "$TMP/long.json"
"$BIN" run --config "$TMP/long.json" > "$TMP/out" 2> "$TMP/err" &
PID=$!
sleep 0.3
T0=$(date +%s%N)
kill -TERM "$PID"
wait "$PID"; RC=$?
T1=$(date +%s%N)
MS=$(( (T1 - T0) / 1000000 ))
[ "$RC" -ne 0 ] && ok "SIGTERM exit code $RC" || fail "SIGTERM exit code 0"
[ "$MS" -lt 5000 ] && ok "SIGTERM honoured in ${MS} ms" || fail "SIGTERM took ${MS} ms"
grep -q '"status":"error"' "$TMP/out" && ok "cancel end event" || fail "no error end after SIGTERM"

# parent death: a kernel whose worker dies (kill -9) gets SIGTERM (PR_SET_PDEATHSIG) and exits
bash -c '"$0" run --config "$1" > /dev/null 2>&1 & echo $! > "$2"; wait' "$BIN" "$TMP/long.json" "$TMP/kid" &
PARENT=$!
for _ in $(seq 50); do [ -s "$TMP/kid" ] && break; sleep 0.05; done
sleep 0.3
KID=$(cat "$TMP/kid")
kill -KILL "$PARENT"; wait "$PARENT" 2>/dev/null
GONE=0
for _ in $(seq 50); do
  # a zombie still answers kill -0, so read its state
  STATE=$(awk '/^State/{print $2}' "/proc/$KID/status" 2>/dev/null || true)
  if [ -z "$STATE" ] || [ "$STATE" = "Z" ]; then GONE=1; break; fi
  sleep 0.1
done
[ "$GONE" = 1 ] && ok "kernel exits when its parent is killed" || { fail "kernel $KID outlived its killed parent"; kill -KILL "$KID" 2>/dev/null; }

# startup overhead: 20 runs should take well under 2 s
printf '{"seed": 1}\n' > "$TMP/fast.json"
T0=$(date +%s%N)
for i in $(seq 20); do "$BIN" run --config "$TMP/fast.json" > /dev/null 2>&1; done
T1=$(date +%s%N)
MS=$(( (T1 - T0) / 1000000 ))
[ "$MS" -lt 4000 ] && ok "20 noop runs in ${MS} ms" || fail "20 noop runs took ${MS} ms"

finish
