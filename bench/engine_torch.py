#!/usr/bin/env python3
"""PyTorch peer of bench/engine.ts: the same Llama-style model (RMSNorm, rotate_half RoPE,
grouped-query attention, SwiGLU MLP) written the ordinary PyTorch way, timed for one training step
(forward, cross-entropy, backward, AdamW) and for batched greedy generation with a KV cache.

Run with Debian's /usr/bin/python3 (python3-torch). Prints one JSON line:
{"step_ms": ..., "gen_tok_s": ..., "threads": ..., "torch": "..."}
With --check FILE it instead loads weights exported by engine.ts and prints the max logit
difference against the logits stored in that file (a correctness check of both models).
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Rope:
    def __init__(self, head_dim, theta, max_pos):
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
        freqs = torch.outer(torch.arange(max_pos).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()

    def apply(self, x, positions):  # x [B, H, T, D], positions [T] or [B, T]
        cos, sin = self.cos[positions], self.sin[positions]
        if cos.dim() == 2:
            cos, sin = cos[None, None], sin[None, None]
        else:
            cos, sin = cos[:, None], sin[:, None]
        return x * cos + rotate_half(x) * sin


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h, self.kvh = c["num_attention_heads"], c["num_key_value_heads"]
        self.d = c["hidden_size"] // self.h
        bias = c.get("attention_bias", False)
        self.q_proj = nn.Linear(c["hidden_size"], self.h * self.d, bias=bias)
        self.k_proj = nn.Linear(c["hidden_size"], self.kvh * self.d, bias=bias)
        self.v_proj = nn.Linear(c["hidden_size"], self.kvh * self.d, bias=bias)
        self.o_proj = nn.Linear(self.h * self.d, c["hidden_size"], bias=False)

    def forward(self, x, rope, positions, cache=None, start=0):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.h, self.d).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.kvh, self.d).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.kvh, self.d).transpose(1, 2)
        q, k = rope.apply(q, positions), rope.apply(k, positions)
        if cache is not None:
            kc, vc = cache
            kc[:, :, start:start + T] = k
            vc[:, :, start:start + T] = v
            k, v = kc[:, :, :start + T], vc[:, :, :start + T]
        if self.kvh != self.h:
            k = k.repeat_interleave(self.h // self.kvh, dim=1)
            v = v.repeat_interleave(self.h // self.kvh, dim=1)
        S = k.shape[2]
        if hasattr(F, "scaled_dot_product_attention"):
            if T == 1:
                o = F.scaled_dot_product_attention(q, k, v)
            else:
                mask = torch.ones(T, S, dtype=torch.bool).tril(diagonal=S - T)
                o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.d)
            if T > 1:
                mask = torch.ones(T, S, dtype=torch.bool).tril(diagonal=S - T)
                scores = scores.masked_fill(~mask, float("-inf"))
            o = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(o.transpose(1, 2).reshape(B, T, self.h * self.d))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], c["hidden_size"], bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = MLP(c)

    def forward(self, x, rope, positions, cache=None, start=0):
        x = x + self.self_attn(self.input_layernorm(x), rope, positions, cache, start)
        return x + self.mlp(self.post_attention_layernorm(x))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        if c["tie_word_embeddings"]:
            self.lm_head.weight = self.embed_tokens.weight
        self.rope = Rope(c["hidden_size"] // c["num_attention_heads"], c["rope_theta"], c["max_position_embeddings"])
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, caches=None, start=0):
        T = ids.shape[1]
        positions = torch.arange(start, start + T)
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, self.rope, positions, None if caches is None else caches[i], start)
        return self.lm_head(self.norm(x))

    def hf_state_dict(self):
        out = {}
        for name, p in self.named_parameters():
            out[name if name.startswith("lm_head") else "model." + name] = p
        return out


def bench_train(model, c, batch, seq, steps):
    g = torch.Generator().manual_seed(0)
    data = torch.randint(0, c["vocab_size"], (batch, seq + 1), generator=g)
    ids, targets = data[:, :-1], data[:, 1:]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    times = []
    for i in range(steps + 2):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(ids)
        loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), targets.reshape(-1))
        loss.backward()
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


@torch.inference_mode()
def bench_generate(model, c, batch, prompt_len, new_tokens, reps):
    h = c["num_key_value_heads"]
    d = c["hidden_size"] // c["num_attention_heads"]
    max_len = prompt_len + new_tokens
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(0, c["vocab_size"], (batch, prompt_len), generator=g)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        caches = [(torch.zeros(batch, h, max_len, d), torch.zeros(batch, h, max_len, d)) for _ in model.layers]
        logits = model(prompt, caches, 0)[:, -1]
        pos = prompt_len
        for _ in range(new_tokens):
            nxt = logits.argmax(-1, keepdim=True)
            logits = model(nxt, caches, pos)[:, -1]
            pos += 1
        times.append(time.perf_counter() - t0)
    return batch * new_tokens / statistics.median(times)


def check(path):
    with open(path) as f:
        spec = json.load(f)
    c = spec["config"]
    model = Model(c)
    sd = model.hf_state_dict()
    with torch.no_grad():
        for name, values in spec["weights"].items():
            sd[name].copy_(torch.tensor(values).view_as(sd[name]))
        ids = torch.tensor(spec["ids"]).view(spec["batch"], spec["seq"])
        logits = model(ids).reshape(-1)
    ref = torch.tensor(spec["logits"])
    print(json.dumps({"max_abs_diff": (logits - ref).abs().max().item(), "max_abs_logit": ref.abs().max().item()}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", help="model config JSON")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--gen-batch", type=int, default=64)
    ap.add_argument("--gen-prompt", type=int, default=8)
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--gen-reps", type=int, default=2)
    ap.add_argument("--check", help="weights + logits exported by engine.ts")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.check:
        check(a.check)
        return
    c = json.loads(a.config)
    model = Model(c)
    step = bench_train(model, c, a.batch, a.seq, a.steps)
    tok_s = bench_generate(model, c, a.gen_batch, a.gen_prompt, a.gen_tokens, a.gen_reps)
    print(json.dumps({"step_ms": step * 1000, "gen_tok_s": tok_s, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
