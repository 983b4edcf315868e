"""Bad-input audit: every case of the catalogue, and how it ended.

Runs each bad input of `tests/bad_inputs.py` (command line and API) and sorts the
outcome into clear (one error line naming the problem, exit code 2 / a clear
exception; for the check and interrupt cases, the right result), misleading (an
error that does not name it), traceback, silent (accepted, or a wrong result
without a word) and data loss (files lost or left half-written, a rerun that
fails). Prints a table per command and writes JSON.

    python benchmarks/bad_inputs.py --out benchmarks/results/bad_inputs.json
"""

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Measure this checkout, not whatever keras_fip happens to be installed.
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from bad_inputs import CASES, OUTCOMES, CliCase, make_files  # noqa: E402


def group(case):
    # Command-line cases (plain, with an environment, interrupted) by command.
    if isinstance(case, CliCase) or hasattr(case, "argv"):
        return f"keras-fip {case.argv[0]}"
    return "API"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="benchmarks/results/bad_inputs.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp))
        for case in CASES:
            outcome, message = case.run(files)
            rows.append({"group": group(case), "case": case.name, "outcome": outcome,
                         "message": message})
            if outcome != "clear":
                print(f"{outcome:>10}: {case.name}: {message}")
    table = collections.defaultdict(collections.Counter)
    for row in rows:
        table[row["group"]][row["outcome"]] += 1
        table["all"][row["outcome"]] += 1
    print(f"\n{'':22s} {'tried':>6s} " + " ".join(f"{o:>10s}" for o in OUTCOMES))
    for name, counts in table.items():
        print(f"{name:22s} {sum(counts.values()):6d} "
              + " ".join(f"{counts[o]:10d}" for o in OUTCOMES))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   "summary": {name: dict(counts) for name, counts in table.items()},
                   "cases": rows}, f, indent=2)
        f.write("\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
