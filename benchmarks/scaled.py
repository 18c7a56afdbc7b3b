"""Time our import of 245k postings and `balance` and `reconcile` on the 1M ledger against
ledger-cli on 245k, interleaved.

The issue's targets (import of 245k ≤ 3 s; balance and reconcile ≤ 1 s at 1M) were set on a
machine where ledger-cli balanced the 245k journal in 1.5 s. This machine's speed varies
several-fold through the day, so a time alone says little; each round here runs ledger-cli next
to our three commands, and prints our times scaled by how much slower ledger-cli ran than on the
issue's machine. Each import goes into a new SQLite ledger whose schema is made beforehand
(as in `run.py`, not part of the time).

Needs a work directory `benchmarks/run.py` filled (245k and 1M), e.g.:
    .venv/bin/python benchmarks/scaled.py --work /tmp/aidledger-bench --rounds 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFERENCE_LEDGER_CLI = 1.5  # s, ledger-cli on 245k postings on the machine
TARGETS = {"import, 245k": 3.0, "balance, 1M": 1.0, "reconcile, 1M": 1.0}  # s


def timed(cmd: list[str], fresh: Path | None = None) -> float:
    """Wall time of `cmd`; with `fresh`, first a new empty ledger there (untimed)."""
    if fresh is not None:
        from ledger.api import Ledger

        for suffix in ("", "-wal", "-shm"):
            Path(f"{fresh}{suffix}").unlink(missing_ok=True)
        Ledger(f"sqlite:///{fresh}").close()
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/aidledger-bench"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    journal = args.work / "245k" / "books-units.journal"
    data = args.work / "245k" / "data"
    db = args.work / "1M" / "ledger.db"
    fresh = args.work / "scaled-import.db"
    ledger_cli = shutil.which("ledger")
    if not (journal.exists() and data.is_dir() and db.exists() and ledger_cli):
        sys.exit(f"need {journal}, {data}, {db} (benchmarks/run.py) and ledger-cli on PATH")
    aidledger = str(Path(sys.executable).with_name("aidledger"))
    ours = [aidledger, "--db", f"sqlite:///{db}"]
    steps = {
        "ledger-cli bal, 245k": [ledger_cli, "-f", str(journal), "bal"],
        "import, 245k": [aidledger, "--db", f"sqlite:///{fresh}", "import", str(data)],
        "balance, 1M": [*ours, "balance"],
        "reconcile, 1M": [*ours, "reconcile"],
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    for n in range(1, args.rounds + 1):
        for name, cmd in steps.items():
            times[name].append(timed(cmd, fresh if name.startswith("import") else None))
        print(f"round {n}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    speed = statistics.median(times["ledger-cli bal, 245k"]) / REFERENCE_LEDGER_CLI
    print(f"\nledger-cli ran {speed:.1f}x slower than on the issue's machine (median of rounds)")
    print("| step | median here | scaled to the issue's machine | target |")
    print("|---|---:|---:|---:|")
    for name, target in TARGETS.items():
        here = statistics.median(times[name])
        print(f"| {name} | {here:.2f} s | {here / speed:.2f} s | {target:.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
