#!/usr/bin/python3
"""The PyTorch peer of `npm run bench:trl-loss` (bench/trl-loss.ts): TRL GRPOTrainer's loss per
micro-batch (facts from TRL's source, written from scratch), accumulated over
gradient_accumulation_steps, with autograd for d loss / d logp and d loss / d entropy, in float64.
Advantages: TRL's group/batch/none and normalize_then_sum; RLOO and REINFORCE++ (with the KL in
the reward) from the papers / verl.

usage (Debian's /usr/bin/python3 with python3-torch):
  trl_loss_torch.py gen CASES.json [seed]               the grid of cases
  trl_loss_torch.py compare CASES.json AHA.json         aha's results (bench/trl-loss.ts) against the peer
  trl_loss_torch.py fixture-cases N CASES.json           a small spread of every axis ...
  trl_loss_torch.py fixture CASES.json AHA.json OUT.json ... and test/rl/fixtures/trl-loss.json from it
"""
import itertools
import json
import math
import random
import sys

import torch

torch.set_default_dtype(torch.float64)
F32 = lambda x: float(torch.tensor(x, dtype=torch.float32))  # noqa: E731  (aha stores logp as f32)

# ---------------------------------------------------------------- advantages

def nanmean_std(vals):
    v = [x for x in vals if x is not None]
    if not v:
        return 0.0, 0.0, 0
    m = sum(v) / len(v)
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return m, s, len(v)


def advantages(case, cfg):
    B, G = case['B'], case['G']
    cols, w = case['columns'], case['weights']
    R = []
    for i in range(B):
        s = [(w[k] * cols[k][i]) for k in range(len(cols)) if cols[k][i] is not None]
        R.append(sum(s) if s else None)
    est = cfg.get('advantage_estimator', 'grpo')
    eps = cfg.get('advantage_eps', 1e-4)
    A = [0.0] * B
    if est == 'rloo':
        for g in range(B // G):
            grp = R[g * G:(g + 1) * G]
            m, _, n = nanmean_std(grp)
            if n < 2:
                continue
            for j, r in enumerate(grp):
                if r is not None:
                    A[g * G + j] = r - (n * m - r) / (n - 1)
        return A, R
    if est == 'reinforce_plus_plus':
        mask = case['mask']
        T = case['T']
        toks = [sum(mask[i * T:(i + 1) * T]) for i in range(B)]
        vals = []
        for i in range(B):
            if R[i] is not None:
                vals += [R[i]] * toks[i]
        if not vals:
            return A, R
        m = sum(vals) / len(vals)
        sd = math.sqrt(sum((x - m) ** 2 for x in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
        for i in range(B):
            if R[i] is not None and toks[i] > 0:
                A[i] = (R[i] - m) / (sd + eps)
        return A, R
    if cfg.get('multi_objective_aggregation') == 'normalize_then_sum':
        S = [0.0] * B
        for k, col in enumerate(cols):
            for g in range(B // G):
                grp = col[g * G:(g + 1) * G]
                m, s, _ = nanmean_std(grp)
                for j, r in enumerate(grp):
                    if r is not None:
                        S[g * G + j] += w[k] * (r - m) / (s + eps)
        m, s, _ = nanmean_std([S[i] if R[i] is not None else None for i in range(B)])
        return [((S[i] - m) / (s + eps)) if R[i] is not None else 0.0 for i in range(B)], R
    scale = cfg.get('scale_rewards', 'group')
    _, bstd, _ = nanmean_std(R)
    for g in range(B // G):
        grp = R[g * G:(g + 1) * G]
        m, s, _ = nanmean_std(grp)
        for j, r in enumerate(grp):
            if r is None:
                continue
            c = r - m
            A[g * G + j] = c if scale == 'none' else c / ((s if scale == 'group' else bstd) + eps)
    return A, R


def kl_shaped(case, cfg, R, old, ref, mask):
    """REINFORCE++ token returns G_t = R − β Σ_{s≥t} m (old − ref), whitened over scored tokens."""
    B, T = case['B'], case['T']
    beta, eps = cfg['beta'], cfg.get('advantage_eps', 1e-4)
    Gt = torch.zeros(B, T)
    inc = torch.zeros(B, T, dtype=torch.bool)
    for i in range(B):
        if R[i] is None:
            continue
        acc = R[i]
        for t in reversed(range(T)):
            if mask[i, t]:
                acc -= beta * float(old[i, t] - ref[i, t])
                Gt[i, t] = acc
                inc[i, t] = True
    v = Gt[inc]
    m = v.mean()
    sd = v.std() if v.numel() > 1 else torch.tensor(0.0)
    return torch.where(inc, (Gt - m) / (sd + eps), torch.zeros(B, T))

# ---------------------------------------------------------------- the loss (TRL's _compute_loss)

def micro_ranges(n, parts):
    m = max(1, min(parts, n))
    return [(k * n // m, (k + 1) * n // m) for k in range(m)]


def trl_loss(case, cfg):
    B, T = case['B'], case['T']
    t = lambda k: torch.tensor([F32(x) for x in case[k]]).view(B, T)  # noqa: E731
    logp = t('logp').requires_grad_(True)
    H = t('entropy').requires_grad_(True)
    old, ref, smp = t('old'), t('ref'), t('smp')
    mask = torch.tensor(case['mask'], dtype=torch.float64).view(B, T)
    A_rows, R = advantages(case, cfg)
    beta = cfg.get('beta', 0.0)
    est = cfg.get('advantage_estimator', 'grpo')
    kl_in_reward = est == 'reinforce_plus_plus' and beta > 0
    A = kl_shaped(case, cfg, R, old, ref, mask) if kl_in_reward else torch.tensor(A_rows).view(B, 1).expand(B, T)
    kl_beta = 0.0 if kl_in_reward else beta
    lt = cfg.get('loss_type', 'grpo')
    eps_low = cfg.get('epsilon', 0.2)
    eps_high = cfg['epsilon_high_resolved']
    delta = cfg.get('delta')
    level = cfg.get('importance_sampling_level', 'token')
    c_ent = cfg.get('entropy_coef', 0.0)
    q = cfg.get('top_entropy_quantile', 1.0)
    opm = cfg.get('off_policy_mask_threshold')
    tis = cfg.get('vllm_importance_sampling_correction', False)
    ga = cfg.get('gradient_accumulation_steps', 1)
    Lmax = cfg.get('max_completion_length', 128)
    N = mask.sum()  # num_items_in_batch: tokens of the whole accumulated batch (one process)
    ranges = micro_ranges(B, ga)
    total = 0.0
    scale = 0.0  # the same aggregation of |per-token loss|: the size the loss's rounding is relative to
    for a, b in ranges:
        lp, o, rf, sp, m, h, adv = logp[a:b], old[a:b], ref[a:b], smp[a:b], mask[a:b], H[a:b], A[a:b]
        log_ratio = lp - o
        if level == 'token':
            liw = log_ratio
        else:
            liw = ((log_ratio * m).sum(-1) / m.sum(-1).clamp(min=1.0)).unsqueeze(-1)
        coef_1 = torch.exp(liw)
        if kl_beta != 0:
            per_token_kl = torch.exp(rf - lp) - (rf - lp) - 1
            if cfg.get('use_bias_correction_kl'):
                per_token_kl = per_token_kl * coef_1
        if lt == 'cispo':
            w = torch.clamp(coef_1, max=eps_high).detach()
            ptl = -w * adv * lp
        else:
            coef_2 = torch.clamp(coef_1, 1 - eps_low, 1 + eps_high)
            if delta is not None:
                coef_1 = torch.clamp(coef_1, max=delta)
            ptl = -torch.min(coef_1 * adv, coef_2 * adv)
        ptl = ptl * torch.ones_like(m)
        gate = torch.ones_like(m)
        if opm is not None:
            sampling = sp if tis and cfg.get('peer_opm_uses_sampler', True) else o
            kl_div = sampling - lp.detach()
            seq_kl = (kl_div * m).sum(1, keepdim=True) / m.sum(1, keepdim=True).clamp(min=1.0)
            row_adv = (adv * m).sum(1, keepdim=True) / m.sum(1, keepdim=True).clamp(min=1.0) if kl_in_reward else adv[:, :1]
            gate = gate * (~((row_adv < 0) & (seq_kl > opm))).double()
        if q < 1.0:
            vals = h.detach()[m.bool()]
            thr = torch.quantile(vals, 1 - q) if vals.numel() else torch.tensor(float('inf'))
            gate = gate * ((h.detach() >= thr) & m.bool()).double()
        ptl = ptl * gate
        if tis:
            diff = (o - sp) * m
            mode = cfg.get('vllm_importance_sampling_mode', 'sequence_mask')
            if mode.startswith('sequence'):
                diff = diff.sum(-1, keepdim=True)
            ratio = torch.exp(diff)
            cap = cfg.get('vllm_importance_sampling_clip_max', 3.0)
            ratio = torch.clamp(ratio, max=cap) if mode.endswith('truncate') else ratio.masked_fill(ratio > cap, 0.0)
            ptl = ptl * ratio
        if c_ent:
            # aha's entropy bonus (docs/grpo.md): −c·H on the tokens of the policy term, aggregated like the loss
            ptl = ptl - c_ent * h * gate
        if kl_beta != 0:
            ptl = ptl + kl_beta * per_token_kl
        def aggregate(x):
            if lt == 'grpo':
                return ((x * m).sum(-1) / m.sum(-1).clamp(min=1.0)).mean() / ga
            if lt == 'bnpo':
                return (x * m).sum() / m.sum().clamp(min=1.0) / ga
            if lt == 'dr_grpo':
                return (x * m).sum() / (x.size(0) * Lmax) / ga
            return (x * m).sum() / N
        total = total + aggregate(ptl)
        scale += float(aggregate(ptl.detach().abs()))
    total = total + 0 * (logp.sum() + H.sum())  # leaves always get a gradient
    total.backward()
    return float(total), logp.grad.flatten().tolist(), H.grad.flatten().tolist(), A_rows, scale

# ---------------------------------------------------------------- case generation

AXES = {
    'loss_type': ['grpo', 'bnpo', 'dr_grpo', 'dapo', 'cispo'],
    'importance_sampling_level': ['token', 'sequence'],
    'delta': [None, 1.9],
    'kl': ['off', 'k3', 'k3+bias'],
    'adv': ['grpo/group', 'grpo/batch', 'grpo/none', 'grpo/normalize_then_sum', 'rloo', 'reinforce_plus_plus'],
    'num_iterations': [1, 2],
    'gradient_accumulation_steps': [1, 2, 3],
}
EXTRAS = {
    'entropy_coef': [0.0, 0.01],
    'top_entropy_quantile': [1.0, 0.4],
    'off_policy_mask_threshold': [None, 0.3],
    'tis': [None, 'token_truncate', 'token_mask', 'sequence_truncate', 'sequence_mask'],
    'tools': [False, True],
    'epsilon_high': [None, 0.28],
}


def make_case(cid, combo, extras, rng, G=4, P=3, T=7):
    B = G * P
    cfg = {'loss_type': combo['loss_type'], 'importance_sampling_level': combo['importance_sampling_level'], 'delta': combo['delta'],
           'num_iterations': combo['num_iterations'], 'gradient_accumulation_steps': combo['gradient_accumulation_steps'],
           'max_completion_length': T + 2, 'epsilon': 0.2}
    if combo['kl'] != 'off':
        cfg['beta'] = 0.05
        cfg['use_bias_correction_kl'] = combo['kl'] == 'k3+bias'
    est = combo['adv'].split('/')
    cfg['advantage_estimator'] = est[0]
    if len(est) > 1:
        if est[1] == 'normalize_then_sum':
            cfg['multi_objective_aggregation'] = 'normalize_then_sum'
        else:
            cfg['scale_rewards'] = est[1]
    cfg['entropy_coef'] = extras['entropy_coef']
    cfg['top_entropy_quantile'] = extras['top_entropy_quantile']
    cfg['off_policy_mask_threshold'] = extras['off_policy_mask_threshold']
    if extras['tis']:
        cfg['vllm_importance_sampling_correction'] = True
        cfg['vllm_importance_sampling_mode'] = extras['tis']
        cfg['vllm_importance_sampling_clip_max'] = 1.5
    else:
        cfg['vllm_importance_sampling_correction'] = False
    if extras['epsilon_high'] is not None:
        cfg['epsilon_high'] = extras['epsilon_high']
    lengths = [rng.randint(1, T) for _ in range(B)]
    mask = []
    for i in range(B):
        row = [1 if t < lengths[i] else 0 for t in range(T)]
        if extras['tools'] and lengths[i] >= 4:  # a tool's output in the middle: in the sequence, out of the loss
            row[1] = row[2] = 0
        mask += row
    logp = [-rng.uniform(0.05, 3.0) for _ in range(B * T)]
    if combo['num_iterations'] > 1:
        # ratios far outside the clip range on both sides, and near 1
        old = [lp - rng.choice([rng.uniform(-1.2, -0.4), rng.uniform(-0.1, 0.1), rng.uniform(0.4, 1.2)]) for lp in logp]
    else:
        old = [F32(x) for x in logp]
    ref = [lp + rng.uniform(-0.8, 0.8) for lp in logp]
    smp = [o + rng.uniform(-0.4, 0.4) for o in old]
    ent = [rng.uniform(0.0, 2.0) for _ in range(B * T)]
    # rewards: two functions; group 0 all equal, group 1 has a declined row, the rest random
    c0 = [float(rng.randint(0, 1)) for _ in range(B)]
    c1 = [rng.uniform(0, 1) for _ in range(B)]
    for j in range(G):
        c0[j], c1[j] = 1.0, 0.5
    c0[G + 1] = None
    c1[G + 1] = None
    return {'id': cid, 'cfg': cfg, 'B': B, 'T': T, 'G': G, 'logp': logp, 'old': old, 'ref': ref, 'smp': smp,
            'entropy': ent, 'mask': mask, 'columns': [c0, c1], 'weights': [1.0, 0.5], 'combo': combo, 'extras': extras}


def gen(out, seed):
    rng = random.Random(seed)
    keys = list(AXES)
    cases = []
    for vals in itertools.product(*AXES.values()):
        combo = dict(zip(keys, vals))
        extras = {k: rng.choice(v) for k, v in EXTRAS.items()}
        cases.append(make_case(len(cases), combo, extras, rng))
    # every extra value against every loss type and level, with ratios off 1
    for lt, lvl, (k, vs) in itertools.product(AXES['loss_type'], AXES['importance_sampling_level'], EXTRAS.items()):
        for v in vs:
            combo = {'loss_type': lt, 'importance_sampling_level': lvl, 'delta': None, 'kl': rng.choice(AXES['kl']),
                     'adv': rng.choice(AXES['adv']), 'num_iterations': 2, 'gradient_accumulation_steps': rng.choice([1, 2, 3])}
            extras = {kk: vv[0] for kk, vv in EXTRAS.items()}
            extras[k] = v
            cases.append(make_case(len(cases), combo, extras, rng))
    json.dump(cases, open(out, 'w'))
    print(len(cases), 'cases')


def rel(a, b):
    return abs(a - b) / max(1e-6, abs(a), abs(b))


def compare(cases_file, aha_file, show=5):
    cases = json.load(open(cases_file))
    aha = {r['id']: r for r in json.load(open(aha_file))}
    compared = refused = 0
    bad = []
    reasons = {}
    for c in cases:
        r = aha[c['id']]
        if 'refused' in r:
            refused += 1
            reasons.setdefault(r['refused'][:110], []).append(c['id'])
            continue
        cfg = dict(c['cfg'])
        cfg['epsilon_high_resolved'] = r['epsilon_high']
        loss, grad, egrad, adv, scale = trl_loss(c, cfg)
        compared += 1
        worst = max(abs(loss - r['loss']) / max(abs(loss), scale, 1e-12), max(abs(g - h) for g, h in zip(grad, r['grad'])) / max(1e-9, max(abs(g) for g in grad)),
                    max(abs(g - h) for g, h in zip(egrad, r['entropyGrad'])) / max(1e-9, max(abs(g) for g in egrad) if any(egrad) else 1))
        advd = max(abs(x - y) for x, y in zip(adv, r['advantages']))
        if worst > 1e-6 or advd > 1e-9:
            bad.append((c['id'], worst, advd, c['combo'], c['extras']))
    print(f'compared {compared}, refused {refused}, mismatched {len(bad)}')
    for msg, ids in reasons.items():
        print(f'  refused x{len(ids)}: {msg}')
    for b in bad[:show]:
        print('  MISMATCH', b)
    # which axis values the mismatches share
    if bad:
        for axis in list(AXES) + list(EXTRAS):
            counts = {}
            for b in bad:
                v = b[3].get(axis, b[4].get(axis))
                counts[str(v)] = counts.get(str(v), 0) + 1
            print('   ', axis, counts)
    return bad


FIXTURE_CMD = 'npm run bench:trl-loss -- --fixture test/rl/fixtures/trl-loss.json'


def fixture_cases(n, out):
    """A small spread of every axis for a committed fixture: 2 groups of 4, 5 positions."""
    rng = random.Random(7)
    LT, LVL, ADV, KL = AXES['loss_type'], AXES['importance_sampling_level'], AXES['adv'], AXES['kl']
    cases = []
    for i in range(n):
        lt = LT[i % 5]
        combo = {'loss_type': lt, 'importance_sampling_level': LVL[(i // 5) % 2], 'delta': 1.9 if i % 4 == 1 and lt != 'cispo' else None,
                 'kl': KL[(i // 6) % 3], 'adv': ADV[i % 6], 'num_iterations': 1 if i % 7 == 0 else 2, 'gradient_accumulation_steps': 1 + i % 2}
        extras = {'entropy_coef': 0.01 if i % 3 == 2 else 0.0, 'top_entropy_quantile': 0.5 if i % 4 == 3 else 1.0,
                  'off_policy_mask_threshold': 0.3 if (i // 2) % 3 == 1 else None, 'tis': EXTRAS['tis'][(i // 3) % 5],
                  'tools': i % 2 == 1, 'epsilon_high': 0.28 if i % 3 == 0 else None}
        cases.append(make_case(i, combo, extras, rng, G=4, P=2, T=5))
    json.dump(cases, open(out, 'w'))


def fixture(cases_file, aha_file, out):
    """Inputs (float32 values) and the peer's loss, d loss/d logp, d loss/d entropy and advantages."""
    cases = json.load(open(cases_file))
    aha = {r['id']: r for r in json.load(open(aha_file))}
    g = lambda x: float('%.9g' % x)  # noqa: E731  (9 digits round-trip a float32)
    h = lambda x: float('%.12g' % x)  # noqa: E731
    kept = []
    for c in cases:
        r = aha[c['id']]
        if 'refused' in r:
            continue
        cfg = dict(c['cfg'])
        cfg['epsilon_high_resolved'] = r['epsilon_high']
        loss, grad, egrad, adv, _ = trl_loss(c, cfg)
        e = {'cfg': c['cfg'], 'G': c['G'], 'T': c['T']}
        for k in ['logp', 'old', 'ref', 'smp', 'entropy']:
            e[k] = [g(F32(x)) for x in c[k]]
        e.update({'mask': c['mask'], 'columns': [[None if x is None else g(F32(x)) for x in col] for col in c['columns']], 'weights': c['weights'],
                  'loss': h(loss), 'grad': [h(x) for x in grad], 'advantages': [h(x) for x in adv]})
        if any(egrad):
            e['entropyGrad'] = [h(x) for x in egrad]
        kept.append(e)
    json.dump({'made_by': 'bench/trl_loss_torch.py, an independent PyTorch implementation of TRL GRPOTrainer loss: '
               + FIXTURE_CMD, 'cases': kept}, open(out, 'w'), separators=(',', ':'))
    print(len(kept), 'cases kept of', len(cases))


if __name__ == '__main__':
    if sys.argv[1] == 'fixture-cases':
        fixture_cases(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == 'fixture':
        fixture(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == 'gen':
        gen(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    elif sys.argv[1] == 'compare':
        sys.exit(1 if compare(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 5) else 0)
    else:
        sys.exit(__doc__)
