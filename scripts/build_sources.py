"""Write the source table truce ships (src/truce/builtin/sources/sources.csv) from the
project's facts files, so that every source key the scenario library and the framework
documents cite resolves to its title and address without the facts files.

Usage: python scripts/build_sources.py [--facts ../shared/facts] [--out PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from truce.data.sources.facts import build_sources_table

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=Path, default=ROOT.parent / "shared" / "facts")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "src" / "truce" / "builtin" / "sources" / "sources.csv"
    )
    args = parser.parse_args()
    print(f"wrote {build_sources_table(args.facts, args.out)}")


if __name__ == "__main__":
    main()
