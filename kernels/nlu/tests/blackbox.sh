#!/usr/bin/env bash
# Black-box tests of binllm-nlu: the config contract (exit 2 naming the parameter, file or line),
# tiny cells of every variant, the teacher cache, 1- vs 2-thread determinism, the H4 budget
# match, GLUE TSV folders, per-example values. Usage: blackbox.sh <binllm-nlu>
BIN=$1
. "$(dirname "$0")/../../tests/lib.sh"

CORE='"max_len":16,"n_layers":1,"n_heads":2,"steps":20,"student_steps":10,"batch":8,"n_train":64,"n_dev":24,"lora_rank":2'
TINY="$CORE,\"d_model\":16,\"group\":16,\"tasks\":\"sentiment,count\",\"tokenizer\":\"words\""

# --- bad configs
run_cfg "$BIN" "{\"seed\":1,$CORE,\"d_model\":16,\"group\":16,\"tasks\":\"sentiment,nope\"}"
expect_rc 2 "unknown task"; expect_err_has "tasks" "names tasks"; expect_err_has "nope" "names the task"
expect_out_has '"status":"error"' "error end event"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"quant\":\"int3\"}"
expect_rc 2 "unknown variant"; expect_err_has "quant" "names quant"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"n_heads\":3}"
expect_rc 2 "heads not dividing width"; expect_err_has "n_heads" "names n_heads"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"group\":12}"
expect_rc 2 "group not dividing width"; expect_err_has "group" "names group"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"bogus\":1}"
expect_rc 2 "unknown key"; expect_err_has "bogus" "names bogus"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"dataset\":\"glue\"}"
expect_rc 2 "glue without task_dir"; expect_err_has "task_dir" "names task_dir"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"dataset\":\"glue\",\"task_dir\":\"$TMP/none\"}"
expect_rc 2 "missing task folder"; expect_err_has "$TMP/none" "names the folder"
mkdir -p "$TMP/glue/SST-2" "$TMP/glue/RTE"
printf 'sentence\tlabel\na fine film\t1\na dull film\t0\n' > "$TMP/glue/SST-2/train.tsv"
printf 'sentence\tlabel\nfine\t1\ndull\n' > "$TMP/glue/SST-2/dev.tsv"
printf 'index\tsentence1\tsentence2\tlabel\n0\ta dog\tan animal\tentailment\n1\ta dog\ta cat\tnot_entailment\n' > "$TMP/glue/RTE/train.tsv"
printf 'index\tsentence1\tsentence2\tlabel\n0\ta dog\tan animal\tentailment\n' > "$TMP/glue/RTE/dev.tsv"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"dataset\":\"glue\",\"task_dir\":\"$TMP/glue\"}"
expect_rc 2 "TSV row with a missing column"; expect_err_has "SST-2/dev.tsv:3" "names file and line"
printf 'sentence\tlabel\nfine\t1\ndull\tbad\n' > "$TMP/glue/SST-2/dev.tsv"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"dataset\":\"glue\",\"task_dir\":\"$TMP/glue\"}"
expect_rc 2 "non-integer label"; expect_err_has "SST-2/dev.tsv:3" "names file and line"; expect_err_has "not an integer" "says why"
run_cfg "$BIN" "{\"seed\":1,$CORE,\"d_model\":8,\"group\":8,\"quant\":\"bin-blocks\",\"bin_blocks\":\"match-bin-embed\",\"tokenizer\":\"bytes\",\"tasks\":\"sentiment\"}"
expect_rc 2 "unmatchable budget"; expect_err_has "bin_blocks" "names bin_blocks"
if ! "$BIN" describe | grep -q '"cuda"'; then
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"device\":\"cuda:0\"}"
  expect_rc 3 "cuda on a CPU-only build"
else
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"quant\":\"bin-blocks\",\"device\":\"cuda:0\"}"
  if [ "$RC" = 0 ] || [ "$RC" = 3 ]; then ok "cuda:0 on a CUDA build (rc=$RC)"; else fail "cuda:0: rc=$RC; $ERR"; fi
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"device\":\"cuda:99\"}"
  expect_rc 3 "cuda:99 does not exist"
fi
"$BIN" describe | grep -q '"name":"nlu"' && ok "describe names the kernel" || fail "describe"
"$BIN" describe | grep -q 'negation' && ok "describe states the generators" || fail "describe lacks the generators"

# --- GLUE folders run
printf 'sentence\tlabel\nfine\t1\ndull\t0\n' > "$TMP/glue/SST-2/dev.tsv"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"dataset\":\"glue\",\"task_dir\":\"$TMP/glue\",\"quant\":\"int4\"}"
expect_rc 0 "GLUE folders"; expect_out_has '"task":"RTE","family":"classification"' "RTE tags"
expect_out_has '"task":"SST-2"' "SST-2 tags"

# --- every variant, the teacher cache, determinism
metrics() { printf '%s\n' "$OUT" | grep '"event":"metric"' | grep -E '"name":"(accuracy|f1|mcc|loss|teacher_accuracy|total_bits|bits_per_param|peak_mem_bytes)"'; }
run_cfg "$BIN" "{\"seed\":3,$TINY,\"quant\":\"fp16\",\"threads\":1,\"work_dir\":\"$TMP/wd\"}"
expect_rc 0 "fp16 cell"; expect_jsonl "fp16 cell"
expect_out_has '"name":"teacher_cached","value":0' "teacher trained the first time"
expect_out_has '"tags":{"task":"count","family":"reasoning"}' "reasoning family tag"
expect_out_has '"event":"values","name":"correct","unit":"example"' "per-example values"
for m in accuracy f1 mcc loss teacher_accuracy total_bits bits_per_param peak_mem_bytes train_time_s eval_tokens_per_s; do
  expect_out_has "\"name\":\"$m\"" "metric $m"
done
for q in int4 bin-blocks bin-embed; do
  run_cfg "$BIN" "{\"seed\":3,$TINY,\"quant\":\"$q\",\"threads\":1,\"work_dir\":\"$TMP/wd\"}"
  expect_rc 0 "$q cell"; expect_out_has '"name":"teacher_cached","value":1' "$q reuses the teacher"
  eval "M_${q//-/_}=\$(metrics)"
done
run_cfg "$BIN" "{\"seed\":3,$TINY,\"quant\":\"bin-blocks\",\"threads\":2}"
A=$(metrics)
[ "$A" = "$M_bin_blocks" ] && ok "bin-blocks: same metrics at 2 threads, teacher retrained" || fail "metrics differ: $A // $M_bin_blocks"
bits() { printf '%s\n' "$1" | grep '"name":"total_bits"' | grep "\"task\":\"$2\"" | sed 's/.*"value":\([0-9.e+]*\).*/\1/'; }
run_cfg "$BIN" "{\"seed\":3,$TINY,\"quant\":\"bin-blocks\",\"bin_blocks\":\"match-bin-embed\",\"work_dir\":\"$TMP/wd\"}"
expect_rc 0 "budget-matched bin-blocks"; expect_out_has '"name":"binarized_rows"' "reports the blocks it chose"
for t in sentiment count; do
  a=$(bits "$(metrics)" $t); b=$(bits "$M_bin_embed" $t)
  awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a > b ? a : b; exit !(d <= 0.01 * m) }' \
    && ok "$t: total bits $a within 1% of bin-embed's $b" || fail "$t: total bits $a vs bin-embed $b"
done
finish
