"""Hostile scenario files at scale (a robustness benchmark, not a test).

Draws documents from ``tests/hostile_documents.py`` (the generator of the property
tests in ``tests/test_fuzz_inputs.py``, which CI runs at a few thousand) and holds each
to the same contracts, counting the outcomes:

  1. reading and checking: only truce's documented errors, each bad-input error about
     the file reading ``PATH:LINE:``;
  2. a share of the files that pass the check are run on ``default``
     (``max_steps=60``): finite numbers (``null`` only where docs/results.md allows
     it) or a documented model error.

Prints the counts by outcome and the slowest files; exits 1 when any contract fails.
Needs the test extras (``pip install -e ".[test]"``).

Usage: python benchmarks/fuzz_inputs.py [--documents 10000] [--runs 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hostile_documents import scenario_bytes
from hypothesis import HealthCheck, given, seed, settings
from test_fuzz_inputs import _file, check_or_error, finite

from truce import api
from truce.errors import InputError, ModelError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300, help="files that pass to solve")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    outcomes: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    slowest: list[tuple[float, str]] = []

    @seed(args.seed)
    @settings(
        max_examples=args.documents,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(scenario_bytes())
    def one(data: bytes) -> None:
        started = time.perf_counter()
        path = _file(data)
        try:
            checked = check_or_error(path)
        except AssertionError as error:
            failures.append(str(error))
            outcomes["unlocated error"] += 1
            return
        except Exception as error:  # anything undocumented is a failure
            failures.append(f"{type(error).__name__}: {error}")
            outcomes["undocumented error"] += 1
            return
        if isinstance(checked, InputError):
            outcomes[f"refused ({type(checked).__name__})"] += 1
        elif outcomes["solved"] + outcomes["did not converge"] < args.runs:
            try:
                result = api.run(api.scenario_world(checked), checked, max_steps=60)
            except ModelError:
                outcomes["did not converge"] += 1
            except Exception as error:
                failures.append(f"{type(error).__name__}: {error}")
                outcomes["undocumented error"] += 1
            else:
                outcomes["solved"] += 1
                if not finite(result):
                    failures.append(f"a number that is not finite in {data[:200]!r}")
                    outcomes["not finite"] += 1
        else:
            outcomes["passed the check"] += 1
        slowest.append((time.perf_counter() - started, data[:120].decode("utf-8", "replace")))
        slowest.sort(reverse=True)
        del slowest[5:]

    started = time.perf_counter()
    one()
    seconds = time.perf_counter() - started
    total = sum(outcomes.values())
    print(f"{total:,} documents in {seconds:.0f} s ({1000 * seconds / max(total, 1):.1f} ms each)")
    for outcome, count in outcomes.most_common():
        print(f"  {count:>7,}  {outcome}")
    print("slowest:")
    for spent, head in slowest:
        print(f"  {spent:6.2f} s  {head.splitlines()[0] if head else ''!r}")
    if failures:
        print(f"{len(failures)} contract failures, the first: {failures[0]}")
        sys.exit(1)
    print("every contract held")


if __name__ == "__main__":
    main()
