# Helpers for black-box kernel tests (bash). Source it; call `finish` at the end.
set -u
FAILS=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/binllm-bb.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*" >&2; }

# run_cfg <binary> <json> : runs `binary run --config`, sets RC, OUT (stdout), ERR (stderr)
run_cfg() {
  local bin=$1 json=$2
  printf '%s\n' "$json" > "$TMP/cfg.json"
  "$bin" run --config "$TMP/cfg.json" > "$TMP/out" 2> "$TMP/err"
  RC=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
}
# expect_rc <code> <label>
expect_rc() {
  if [ "$RC" = "$1" ]; then ok "$2 (rc=$RC)"; else fail "$2: rc=$RC, expected $1; stderr: $ERR"; fi
}
# expect_out_has <substring> <label>
expect_out_has() {
  case "$OUT" in *"$1"*) ok "$2" ;; *) fail "$2: stdout lacks '$1'; stdout: $OUT" ;; esac
}
expect_err_has() {
  case "$ERR" in *"$1"*) ok "$2" ;; *) fail "$2: stderr lacks '$1'; stderr: $ERR" ;; esac
}
expect_out_lacks() {
  case "$OUT" in *"$1"*) fail "$2: stdout has '$1'" ;; *) ok "$2" ;; esac
}
# every stdout line must be a JSON object line starting with {"event":
expect_jsonl() {
  local bad
  bad=$(printf '%s\n' "$OUT" | grep -v '^{"event":"[a-z]*".*}$' | grep -v '^$' || true)
  if [ -z "$bad" ]; then ok "$1: stdout is JSON Lines"; else fail "$1: non-event lines: $bad"; fi
}
finish() {
  if [ "$FAILS" -gt 0 ]; then echo "$FAILS failure(s)" >&2; exit 1; fi
  echo "all passed" >&2
  exit 0
}
