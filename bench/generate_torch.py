#!/usr/bin/env python3
"""PyTorch peer of bench/generate.ts: batched sampling with a KV cache on the same decoder shape.

Loads the model folder aha wrote (config.json + model.safetensors, read here with a few lines of
json and torch.frombuffer since Debian has no safetensors package), so the same weights run on
both sides and the folder's Hugging Face layout is checked from Python too. Writes one JSON line:
{"runs": [{"tok_s": ..., "seconds": ..., "tok_per_cpu_s": ...}], "check_max_abs_diff": ..., "threads": ..., "torch": "...",
"blas_core": "..."}

Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import os
import struct
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        t = torch.frombuffer(data[a:b], dtype=DTYPES[e["dtype"]]) if b > a else torch.empty(0)
        out[name] = t.reshape(e["shape"]).float()
    return out


class Decoder:
    """Llama/Qwen2 decoder: RMSNorm, rotate_half RoPE, GQA, SwiGLU, optional q/k/v bias."""

    def __init__(self, cfg, w):
        self.cfg, self.w = cfg, w
        self.h = cfg["num_attention_heads"]
        self.kvh = cfg["num_key_value_heads"]
        self.d = cfg.get("head_dim") or cfg["hidden_size"] // self.h
        self.eps = cfg["rms_norm_eps"]
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, self.d, 2).float() / self.d))
        self.inv_freq = inv
        self.lm_head = w.get("lm_head.weight", w["model.embed_tokens.weight"])

    def norm(self, x, weight):
        return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def rope(self, x, pos):  # x [B, heads, T, D]; pos [T]
        f = torch.outer(pos.float(), self.inv_freq)
        emb = torch.cat((f, f), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        half = self.d // 2
        rot = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rot * sin

    def forward(self, ids, cache, start):
        """ids [B, T] appended at positions start..start+T-1; returns logits of the last position."""
        w, B, T = self.w, ids.shape[0], ids.shape[1]
        x = F.embedding(ids, w["model.embed_tokens.weight"])
        pos = torch.arange(start, start + T)
        g = self.h // self.kvh
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            hN = self.norm(x, w[p + "input_layernorm.weight"])
            q = F.linear(hN, w[p + "self_attn.q_proj.weight"], w.get(p + "self_attn.q_proj.bias"))
            k = F.linear(hN, w[p + "self_attn.k_proj.weight"], w.get(p + "self_attn.k_proj.bias"))
            v = F.linear(hN, w[p + "self_attn.v_proj.weight"], w.get(p + "self_attn.v_proj.bias"))
            q = self.rope(q.view(B, T, self.h, self.d).transpose(1, 2), pos)
            k = self.rope(k.view(B, T, self.kvh, self.d).transpose(1, 2), pos)
            v = v.view(B, T, self.kvh, self.d).transpose(1, 2)
            kc, vc = cache[i]
            kc[:, :, start:start + T] = k
            vc[:, :, start:start + T] = v
            L = start + T
            # Grouped-query attention without copying K/V: [B, kvh, g*T, D] x [B, kvh, D, L].
            qg = q.reshape(B, self.kvh, g * T, self.d)
            s = torch.matmul(qg, kc[:, :, :L].transpose(-1, -2)) / self.d ** 0.5
            if T > 1:
                mask = torch.ones(T, L, dtype=torch.bool).tril(diagonal=start).repeat(g, 1)
                s = s.masked_fill(~mask, float("-inf"))
            a = torch.matmul(s.softmax(-1), vc[:, :, :L]).reshape(B, self.h, T, self.d)
            x = x + F.linear(a.transpose(1, 2).reshape(B, T, self.h * self.d), w[p + "self_attn.o_proj.weight"])
            hN = self.norm(x, w[p + "post_attention_layernorm.weight"])
            m = F.silu(F.linear(hN, w[p + "mlp.gate_proj.weight"])) * F.linear(hN, w[p + "mlp.up_proj.weight"])
            x = x + F.linear(m, w[p + "mlp.down_proj.weight"])
        x = self.norm(x[:, -1], w["model.norm.weight"])
        return F.linear(x, self.lm_head)

    def new_cache(self, B, max_len):
        shape = (B, self.kvh, max_len, self.d)
        return [(torch.zeros(shape), torch.zeros(shape)) for _ in range(self.cfg["num_hidden_layers"])]


def generate(model, prompts, new_tokens, gen):
    B, P = prompts.shape
    cache = model.new_cache(B, P + new_tokens)
    logits = model.forward(prompts, cache, 0)
    out, logprobs = [], []
    for t in range(new_tokens):
        lp = logits.log_softmax(-1)
        tok = torch.multinomial(lp.exp(), 1, generator=gen)
        logprobs.append(lp.gather(1, tok))
        out.append(tok)
        if t + 1 < new_tokens:
            logits = model.forward(tok, cache, P + t)
    return torch.cat(out, 1), torch.cat(logprobs, 1)


def blas_core():
    """The kernel family of the OpenBLAS that torch's BLAS resolves to (None if not OpenBLAS)."""
    import ctypes

    for name in ("libblas.so.3", "libopenblas.so.0"):  # Debian's torch links libblas.so.3
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--prompts", required=True, help="JSON file: {batch: [[ids...]...], new_tokens, check_ids, check_logits}")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    model = Decoder(cfg, read_safetensors(os.path.join(args.model, "model.safetensors")))
    spec = json.load(open(args.prompts))
    result = {"threads": torch.get_num_threads(), "torch": torch.__version__, "blas_core": blas_core()}
    with torch.inference_mode():
        if spec.get("check_ids"):
            ids = torch.tensor([spec["check_ids"]])
            got = model.forward(ids, model.new_cache(1, ids.shape[1]), 0)[0]
            result["check_max_abs_diff"] = (got - torch.tensor(spec["check_logits"])).abs().max().item()
        gen = torch.Generator().manual_seed(0)
        runs = []
        for batch in spec["runs"]:
            prompts = torch.tensor(batch["prompts"])
            t0, c0 = time.perf_counter(), time.process_time()
            generate(model, prompts, batch["new_tokens"], gen)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            n = prompts.shape[0] * batch["new_tokens"]
            runs.append({"batch": prompts.shape[0], "seconds": dt, "tok_s": n / dt, "tok_per_cpu_s": n / cpu})
        result["runs"] = runs
    print(json.dumps(result))


if __name__ == "__main__":
    main()
