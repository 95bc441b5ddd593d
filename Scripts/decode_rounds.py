"""Robust timing of eager `generate` decode, shared by Scripts/measure_host_cost.py and
Scripts/calibrate.py --part profile.

A host that drifts (eager decode varied 1.75x between runs on the project's H200 host) makes a single
median meaningless. A measurement here:

  1. warms up round by round until three consecutive rounds agree within 5% ((max - min) / median of
     the three), giving up after `max_warmup` rounds: the host is then too noisy to calibrate and the
     result says so (`settled: false`);
  2. then takes at least `min_rounds` rounds (more while time allows and the spread is above 5%, up to
     `max_rounds`);
  3. reports every round, the median, the spread ((max - min) / median) and the p10-p90 of the rounds.

A round is the median over `repeats` of (t(generate 1 + N new tokens) - t(generate 1 new token)) / N:
milliseconds per decode step, prefill and the first token removed.
"""

import statistics
import time


def _sync(torch):
    for i in range(torch.cuda.device_count()):
        torch.cuda.synchronize(i)


def timed_generate(torch, model, prompt, new_tokens):
    if prompt.is_cuda:
        _sync(torch)
    start = time.perf_counter()
    with torch.no_grad():
        model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
    if prompt.is_cuda:
        _sync(torch)
    return time.perf_counter() - start


def one_round(torch, model, prompt, new_tokens, repeats):
    samples = []
    for _ in range(repeats):
        one = timed_generate(torch, model, prompt, 1)
        many = timed_generate(torch, model, prompt, 1 + new_tokens)
        samples.append((many - one) / new_tokens * 1000)
    return statistics.median(samples)


def agree(values, tolerance):
    m = statistics.median(values)
    return m > 0 and (max(values) - min(values)) / m <= tolerance


def spread(values):
    m = statistics.median(values)
    return (max(values) - min(values)) / m if m > 0 else float("inf")


def robust_decode(torch, model, prompt, new_tokens=32, repeats=3, min_rounds=5, max_rounds=9,
                  max_warmup=8, tolerance=0.05, time_budget=None):
    """Milliseconds per decode step with warm-up to agreement (see the module's docstring)."""
    start = time.perf_counter()
    warm = []
    settled = False
    for _ in range(max_warmup):
        warm.append(one_round(torch, model, prompt, new_tokens, repeats))
        if len(warm) >= 3 and agree(warm[-3:], tolerance):
            settled = True
            break
    rounds = []
    while len(rounds) < max_rounds:
        rounds.append(one_round(torch, model, prompt, new_tokens, repeats))
        if len(rounds) >= min_rounds and (spread(rounds) <= tolerance or (
                time_budget is not None and time.perf_counter() - start > time_budget)):
            break
    ordered = sorted(rounds)
    n = len(ordered)
    return {
        "msPerToken": round(statistics.median(rounds), 4),
        "rounds": [round(r, 4) for r in rounds],
        "warmupRounds": [round(r, 4) for r in warm],
        "settled": settled,
        "spread": round(spread(rounds), 4),
        "p10": round(ordered[max(0, int(0.1 * (n - 1)))], 4),
        "p90": round(ordered[min(n - 1, int(round(0.9 * (n - 1))))], 4),
        "newTokens": new_tokens, "repeatsPerRound": repeats,
        "noisy": (not settled) or spread(rounds) > 2 * tolerance,
        "seconds": round(time.perf_counter() - start, 1),
    }
