"""Do two trees of keras-fip give the same figures? The default run of every command, compared.

    git worktree add /tmp/before 5e01f78           # the code before a change
    python benchmarks/same_figures.py --before /tmp/before --after . \
        --out benchmarks/results/same_figures_issue23.json

Runs `keras-fip continual`, `sparsify`, `robust` and `continual --methods fip
--then-sparsify 0.9` with their defaults (the embedded digits, seed 0) on both trees,
one at a time, each from its own source (`PYTHONPATH`), and compares every number of
the two `report.json` files: exactly, and as the largest absolute difference. Times,
versions, dates and the command line are left out. A key present in one report only is
listed (a renamed key). `--reports DIR` keeps the runs there and reuses any report
already in it (`DIR/before/continual/report.json`, ...), so a killed comparison resumes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

RUNS = {
    "continual": ["continual"],
    "sparsify": ["sparsify"],
    "robust": ["robust"],
    "continual_then_sparsify": ["continual", "--methods", "fip", "--then-sparsify", "0.9"],
}
#: Keys whose values are not figures of the method: times, versions, dates, the command.
NOT_FIGURES = ("second", "time", "created", "versions", "command", "bytes", "platform", "python")


def run(tree, args, folder):
    """`keras-fip ARGS --out FOLDER` from `tree`'s source; returns the report (reused if there)."""
    report = os.path.join(folder, "report.json")
    if not os.path.exists(report):
        env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
        command = [sys.executable, "-m", "keras_fip.cli.main", *args, "--out", folder,
                   "--overwrite"]
        subprocess.run(command, env=env, check=True, cwd="/tmp", stdout=subprocess.DEVNULL)
    with open(report) as f:
        return json.load(f)


def differences(before, after, path=""):
    """`(changed, only_one_side)`: `[(path, before, after)]` and `[(path, side)]`."""
    changed, one_side = [], []
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if any(word in key for word in NOT_FIGURES):
                continue
            if key not in before or key not in after:
                one_side.append((f"{path}/{key}", "after" if key in after else "before"))
                continue
            c, o = differences(before[key], after[key], f"{path}/{key}")
            changed += c
            one_side += o
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            c, o = differences(b, a, f"{path}[{i}]")
            changed += c
            one_side += o
    elif before != after and not (_nan(before) and _nan(after)):
        changed.append((path, before, after))
    return changed, one_side


def _nan(value):
    return isinstance(value, float) and math.isnan(value)


def _gap(b, a):
    numbers = (int, float)
    if isinstance(b, numbers) and isinstance(a, numbers) and not isinstance(b, bool):
        return abs(float(a) - float(b))
    return None


def compare(before_tree, after_tree, reports):
    jobs = {}
    for job, args in RUNS.items():
        started = time.perf_counter()
        before = run(before_tree, args, os.path.join(reports, "before", job))
        after = run(after_tree, args, os.path.join(reports, "after", job))
        changed, one_side = differences(before, after)
        gaps = [g for g in (_gap(b, a) for _, b, a in changed) if g is not None]
        jobs[job] = {
            "command": "keras-fip " + " ".join(args),
            "identical": not changed,
            "numbers_changed": len(changed),
            "largest_absolute_difference": max(gaps) if gaps else 0.0,
            "changed": [{"path": p, "before": b, "after": a} for p, b, a in changed],
            "keys_in_one_report_only": [{"path": p, "in": side} for p, side in one_side],
            "seconds": time.perf_counter() - started,
        }
        print(f"{job:<26} {'identical' if not changed else f'{len(changed)} numbers changed'}"
              f"{'' if not gaps else f', largest difference {max(gaps):.2g}'}"
              f"{'' if not one_side else f'; {len(one_side)} keys in one report only'}")
    return jobs


def _commit(tree):
    try:
        return subprocess.run(["git", "-C", tree, "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="source tree of the code before")
    parser.add_argument("--after", default=".", help="source tree of the code after")
    parser.add_argument("--reports", default="/tmp/same_figures",
                        help="folder for the runs' reports (reused when there)")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    jobs = compare(args.before, args.after, args.reports)
    payload = {"before": _commit(args.before), "after": _commit(args.after), "jobs": jobs}
    with open(args.out, "w") as f:
        json.dump(payload, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
