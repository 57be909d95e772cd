"""Normalise + article-aware diff against two baselines, side by side, in one run.

    python bench/bench_diff.py            # needs `pip install -e '.[bench]'` for fast-diff-match-patch

Baselines on the same document pairs:
  naive  — difflib.SequenceMatcher(autojunk=False) over the characters of the page text;
  dmp    — fast-diff-match-patch (C++), the floor for a character-level text diff.
Inputs: the 20 seed policies each with a small random edit (an amount, a word, an inserted sentence),
and one synthetic 75,000-character policy with five edits.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from difflib import SequenceMatcher

from monitor.demo.site import seed_policies
from monitor.diff import diff_documents
from monitor.normalise import normalise

try:
    import fast_diff_match_patch as dmp
except ImportError:  # pragma: no cover - optional bench dependency
    dmp = None


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls, in milliseconds."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def small_edit(body: str, rng: random.Random) -> str:
    choice = rng.randrange(3)
    if choice == 0 and "万元" in body:
        i = body.index("万元")
        j = i
        while j > 0 and body[j - 1].isdigit():
            j -= 1
        return body[:j] + str(int(body[j:i] or "1") + 100) + body[i:]
    if choice == 1:
        k = rng.randrange(len(body) // 4, len(body) - 10)
        return body[:k] + "原则上" + body[k:]
    k = body.find("。", len(body) // 2)
    return body[: k + 1] + "对符合条件的企业给予最高50万元奖励。" + body[k + 1 :]


def synthetic_policy(target: int = 75_000) -> tuple[str, str]:
    rng = random.Random(7)
    bodies = [p["body"] for p in seed_policies().values()]
    parts, n = [], 1
    while sum(map(len, parts)) < target:
        sentence = rng.choice(bodies)[rng.randrange(0, 1500) :][:200].split("。")[0]
        parts.append(f"第{n}条 {sentence}。给予最高{rng.randrange(10, 3000)}万元资金支持。 ")
        n += 1
    old = "".join(parts)
    new_parts = list(parts)
    for k in rng.sample(range(len(parts)), 5):
        new_parts[k] = new_parts[k].replace("万元", "0万元", 1)
    return old, "".join(new_parts)


def run_pair(title: str, old: str, new: str, repeat: int) -> dict[str, float]:
    old_doc, new_doc = normalise(title, [old]), normalise(title, [new])
    assert not diff_documents(old_doc, new_doc).is_empty
    out = {
        "ours: normalise+diff": timed(lambda: diff_documents(normalise(title, [old]), normalise(title, [new])), repeat),
        "ours: diff only": timed(lambda: diff_documents(old_doc, new_doc), repeat),
        "naive difflib (chars)": timed(
            lambda: SequenceMatcher(None, old, new, autojunk=False).get_opcodes(), max(1, repeat // 10)
        ),
    }
    if dmp is not None:
        out["fast-diff-match-patch"] = timed(lambda: dmp.diff(old, new, counts_only=False), repeat)
    return out


def main() -> int:
    rng = random.Random(42)
    rows: list[dict[str, float]] = []
    for row in seed_policies().values():
        rows.append(run_pair(row["title"], row["body"], small_edit(row["body"], rng), repeat=20))
    seeds = {k: statistics.mean(r[k] for r in rows) for k in rows[0]}
    old, new = synthetic_policy()
    big = run_pair("合成政策", old, new, repeat=5)
    width = max(map(len, seeds))
    print(f"{'':{width}}  {'seed pairs (mean ms/pair)':>26}  {'75k-char policy (ms)':>22}")
    for key in seeds:
        print(f"{key:{width}}  {seeds[key]:26.3f}  {big[key]:22.3f}")
    naive, ours = big["naive difflib (chars)"], big["ours: normalise+diff"]
    print(f"\n75k: ours (normalise+diff) is {naive / ours:.0f}x faster than naive difflib")
    if dmp is not None:
        print(
            f"75k: ours (normalise+diff) is {ours / big['fast-diff-match-patch']:.1f}x the C++ floor; "
            f"diff only {big['ours: diff only'] / big['fast-diff-match-patch']:.1f}x"
        )
    else:
        print("fast-diff-match-patch not installed: pip install -e '.[bench]'")
    print(f"seeds: diff only {seeds['ours: diff only']:.3f} ms per pair (target < 2 ms)")
    print(f"synthetic policy: {len(old)} characters, {len(normalise('t', [old]).clauses)} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
