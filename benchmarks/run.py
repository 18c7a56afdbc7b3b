#!/usr/bin/env python3
"""AidLedger side by side with ledger-cli, hledger and Beancount, on the same generated data.

    make bench                                                    # 10k, 100k, 245k
    make bench SIZES=10k,100k,1M TIMEOUT=2400                     # any sizes
    .venv/bin/python benchmarks/run.py --sizes 10k,100k,245k      # the same, without make

(benchmarks/RESULTS.md: the results, the machine, and the exact commands.)

For each size: generate the exchange-format files (benchmarks/generate.py, fixed seed), then
time, each as its own subprocess: our `import` (files → ledger), `balance`, `reconcile`,
`check` (when the command exists) and `verify`, on SQLite and on PostgreSQL (a throwaway
cluster from tests/pgcluster.py); then our `export hledger` / `export beancount` of the SQLite
ledger, and on those files `ledger -f … bal`, `hledger -f … bal` and `bean-check`. Each step's
wall time and peak RSS (os.wait4 rusage of that child; the PostgreSQL server's own memory is not
included) are printed, with postings per second and our import+balance time as a ratio to each
peer's parse+balance. A peer that is not installed is skipped. Results also go to
WORK/results-SIZE.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
AIDLEDGER = str(BIN / "aidledger")
BEAN_CHECK = str(BIN / "bean-check")


@dataclass
class Step:
    size: str
    engine: str
    step: str
    seconds: float
    peak_mb: float
    postings: int
    ok: bool
    note: str = ""
    cpu: float = 0.0  # user + system seconds of our process: the PostgreSQL server's not included

    @property
    def rate(self) -> float:
        return self.postings / self.seconds if self.seconds else 0.0


# Each step runs under this small helper (python -S: a few MB), which spawns the command and
# reads that one child's rusage with wait4. Measuring from the runner itself would report the
# runner's own memory as the child's peak (Linux carries the pre-exec high-water mark over).
HELPER = """
import json, os, signal, sys, time
t = time.perf_counter()
pid = os.posix_spawnp(sys.argv[3], sys.argv[3:], os.environ)
signal.signal(signal.SIGALRM, lambda *a: os.kill(pid, signal.SIGKILL))
signal.alarm(int(sys.argv[2]))
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump([time.perf_counter() - t, usage.ru_maxrss, os.waitstatus_to_exitcode(status),
               usage.ru_utime + usage.ru_stime], f)
"""


def child_env() -> dict[str, str]:
    """The environment of every timed step: bytecode caching on, as in a normal install."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(cmd: list[str], log: Path, timeout: float) -> tuple[float, float, int, float]:
    """Run `cmd`; return (wall seconds, peak RSS in MB of that process, exit code, CPU s)."""
    result = log.with_suffix(".rusage.json")
    with log.open("w") as out:
        subprocess.run([sys.executable, "-S", "-c", HELPER, str(result), str(int(timeout)), *cmd],
                       stdout=out, stderr=subprocess.STDOUT, env=child_env(), check=False)  # fmt: skip
    seconds, maxrss_kb, code, cpu = json.loads(result.read_text())
    return seconds, maxrss_kb / 1024, code, cpu


def crashed(log: Path) -> bool:
    """Whether a step's log ends in a Python traceback (an uncaught error exits 1 too)."""
    with log.open("rb") as f:
        f.seek(max(log.stat().st_size - 65536, 0))
        return b"Traceback (most recent call last)" in f.read()


def warm_up() -> None:
    """Compile the bytecode of the project and its libraries once, outside any timing.

    `uv pip install` (make setup) does not compile bytecode and this environment sets
    PYTHONDONTWRITEBYTECODE, so without this every timed command would first compile
    SQLAlchemy from source (~1.5 s per command on the reference machine).
    """
    import compileall
    import sysconfig

    for folder in (sysconfig.get_paths()["purelib"], *(str(ROOT / d) for d in
                   ("ledger", "schemas", "reports", "benchmarks"))):  # fmt: skip
        compileall.compile_dir(folder, quiet=2, workers=os.cpu_count() or 1)
    compileall.compile_file(str(ROOT / "cli.py"), quiet=2)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    tools = []
    for name, cmd in (("ledger", ["ledger", "--version"]), ("hledger", ["hledger", "--version"]),
                      ("beancount", [sys.executable, "-c", "import beancount; print('beancount', beancount.__version__)"])):  # fmt: skip
        if shutil.which(cmd[0]) or cmd[0] == sys.executable:
            out = subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()
            tools.append(out[0].strip() if out else name)
    import sqlite3

    import sqlalchemy

    return (f"{os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}; "
            f"{'; '.join(tools)}")  # fmt: skip


def has_check_command() -> bool:
    done = subprocess.run([AIDLEDGER, "check", "--help"], capture_output=True)
    return done.returncode == 0


def count_postings(url: str) -> int:
    from sqlalchemy import create_engine, text

    from ledger.db.engine import resolve_url

    engine = create_engine(resolve_url(url))
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM posting")).scalar_one()
    engine.dispose()
    return int(n)


def data_rows(folder: Path) -> int:
    total = 0
    for f in folder.glob("*.csv"):
        with f.open(encoding="utf-8") as fh:
            total += sum(1 for _ in csv.reader(fh)) - 1
    return total


def run_size(label: str, size: int, seed: int, work: Path, engines: list[str], timeout: float,
             pg: object | None, with_values: bool = False) -> list[Step]:  # fmt: skip
    from ledger.api import Ledger

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    base = work / label
    data = base / "data"
    base.mkdir(parents=True, exist_ok=True)
    # the generator's own hash too: files made by an older generator are made again
    made_by = hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:12]
    stamp = data / f".seed-{seed}-size-{size}-generator-{made_by}"
    if not stamp.exists():
        shutil.rmtree(data, ignore_errors=True)
        t0 = time.perf_counter()
        generate.write(generate.simulate(size, seed), data)
        stamp.touch()
        print(f"[{label}] generated {data_rows(data)} rows in {time.perf_counter() - t0:.1f}s",
              flush=True)  # fmt: skip
    rows = data_rows(data)
    steps: list[Step] = []
    check = has_check_command()

    def record(engine: str, step: str, cmd: list[str], postings: int, note: str = "") -> Step:
        seconds, peak, code, cpu = timed(cmd, base / f"{engine}-{step}.log", timeout)
        # check: exit 1 = findings listed, unless it died (an uncaught error also exits 1)
        findings = step == "check" and code == 1 and not crashed(base / f"{engine}-{step}.log")
        ok = code == 0 or findings
        if findings:
            note = "exit 1: findings reported"
        s = Step(label, engine, step, seconds, peak, postings, ok, note, cpu)
        steps.append(s)
        status = "" if ok else f"  FAILED (see {base / f'{engine}-{step}.log'})"
        rate = f"{s.rate:12,.0f} postings/s" if postings else f"{'':12} (postings: next line)"
        if step == "startup":
            rate = ""
        print(f"[{label}] {engine:10} {step:24} {seconds:8.2f} s {cpu:8.2f} cpu {peak:8.0f} MB "
              f"{rate}{status}", flush=True)  # fmt: skip
        return s

    sqlite_url = ""
    for engine in engines:
        if engine == "sqlite":
            db = base / "ledger.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            url = sqlite_url = f"sqlite:///{db}"
        else:
            assert pg is not None
            name = f"bench_{label.lower()}_{os.getpid()}"
            pg.drop_database(name)  # type: ignore[attr-defined]
            url = pg.create_database(name)  # type: ignore[attr-defined]
        Ledger(url).close()  # schema created up front: not part of the import's time
        ours = ["--db", url]
        imp = record(engine, "import", [AIDLEDGER, *ours, "import", str(data)], 0,
                     note=f"{rows} rows")  # fmt: skip
        postings = count_postings(url) if imp.ok else 0
        imp.postings = postings
        print(f"[{label}] {engine:10} import: {postings:,} postings, {imp.rate:,.0f} postings/s",
              flush=True)  # fmt: skip
        for step, args in (("balance", ["balance", "--format", "csv"]),
                           ("reconcile", ["reconcile", "--format", "csv"]),
                           *((("check", ["check"]),) if check else ()),
                           ("verify", ["verify"])):  # fmt: skip
            record(engine, step, [AIDLEDGER, *ours, *args], postings)

    if not sqlite_url:
        return steps
    postings = next(s.postings for s in steps if s.engine == "sqlite" and s.step == "import")
    # Peers read the units-only export (quantities, as the reference figures); with
    # --with-values also the export with each posting's value as a total price (@@), which
    # ledger-cli handles far more slowly (a price-history point per posting).
    for variant in ("units", "values") if with_values else ("units",):
        flag = ["--units-only"] if variant == "units" else []
        journal, bean = base / f"books-{variant}.journal", base / f"books-{variant}.beancount"
        record("sqlite", f"export hledger {variant}", [AIDLEDGER, "--db", sqlite_url, "export",
               "hledger", *flag, "--out", str(journal)], postings)  # fmt: skip
        record("sqlite", f"export beancount {variant}", [AIDLEDGER, "--db", sqlite_url,
               "export", "beancount", *flag, "--out", str(bean)], postings)  # fmt: skip
        suffix = "" if variant == "units" else " (values)"
        if shutil.which("ledger"):
            record("ledger-cli", f"bal{suffix}", ["ledger", "-f", str(journal), "bal"], postings)
        if shutil.which("hledger"):
            record("hledger", f"bal{suffix}", ["hledger", "-f", str(journal), "bal"], postings)
        record("beancount", f"bean-check{suffix}", [BEAN_CHECK, str(bean)], postings)
    record("python", "startup", [AIDLEDGER, "--version"], 0, note="interpreter + click")
    return steps


def summary(steps: list[Step]) -> str:
    """A Markdown table per size, with our import+balance as a ratio to each peer."""
    lines = []
    for label in dict.fromkeys(s.size for s in steps):
        group = [s for s in steps if s.size == label]
        get = {(s.engine, s.step): s for s in group}
        postings = get[("sqlite", "import")].postings if ("sqlite", "import") in get else 0
        lines.append(f"\n### {label}: {postings:,} postings\n")
        lines.append(
            "| engine / tool | step | wall s | CPU s | postings/s (wall) | peak RSS MB | ok |"
        )
        lines.append("|---|---|---:|---:|---:|---:|---|")
        for s in group:
            rate = f"{s.rate:,.0f}" if s.postings else "—"
            lines.append(f"| {s.engine} | {s.step} | {s.seconds:.2f} | {s.cpu:.2f} | {rate} "
                         f"| {s.peak_mb:.0f} | {'yes' if s.ok else 'NO'} {s.note} |")  # fmt: skip
        for engine in ("sqlite", "postgresql"):
            if (engine, "import") not in get or (engine, "balance") not in get:
                continue
            ours = get[(engine, "import")].seconds + get[(engine, "balance")].seconds
            ours_cpu = get[(engine, "import")].cpu + get[(engine, "balance")].cpu
            peers = [(f"{tool} {step}", get[(tool, step)].seconds, get[(tool, step)].cpu)
                     for tool, step in (("ledger-cli", "bal"), ("hledger", "bal"),
                                        ("beancount", "bean-check")) if (tool, step) in get]  # fmt: skip
            ratios = ", ".join(f"{ours / secs:.2f}× {name} ({ours_cpu / max(cpu, 1e-9):.2f}× in CPU)"
                               for name, secs, cpu in peers)  # fmt: skip
            client = (
                " (our process only: the server's CPU is not counted)" if engine != "sqlite" else ""
            )
            lines.append(f"\nOur import + balance on {engine}: {ours:.2f} s wall, {ours_cpu:.2f} s "
                         f"CPU{client} = {ratios} (below 1 means faster than the peer).")  # fmt: skip
    return "\n".join(lines)


def save(out: Path, steps: list[Step]) -> None:
    """Write a size's results, keeping the steps of an earlier run that this one did not time
    (a run with `--engines sqlite` used to erase the PostgreSQL rows of the run before)."""
    timed = {(s.engine, s.step) for s in steps}
    kept = []
    if out.exists():
        kept = [r for r in json.loads(out.read_text()) if (r["engine"], r["step"]) not in timed]
    out.write_text(json.dumps(kept + [asdict(s) for s in steps], indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated: 10k,100k,1M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/aidledger-bench"))
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per step")
    parser.add_argument(
        "--with-values",
        action="store_true",
        help="also run the peers on the export with values (@@ prices)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import parse_size

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    print(f"machine: {machine()}", flush=True)
    warm_up()
    pg = None
    if "postgresql" in engines:
        from tests.pgcluster import PgCluster, find_pg_bindir

        if find_pg_bindir() is None:
            print("PostgreSQL server binaries not found: SQLite only", flush=True)
            engines.remove("postgresql")
        else:
            pg = PgCluster()
            pg.start()
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops it
    steps: list[Step] = []
    try:
        for label in (s.strip() for s in args.sizes.split(",") if s.strip()):
            size_steps = run_size(label, parse_size(label), args.seed, args.work, engines,
                                  args.timeout, pg, args.with_values)  # fmt: skip
            steps += size_steps
            save(args.work / f"results-{label}.json", size_steps)
    finally:
        if pg is not None:
            pg.stop()
    print(summary(steps))
    return 0 if all(s.ok for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
