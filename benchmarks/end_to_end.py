"""What a user waits for: snapshot files in, plan file out, each run a fresh process.

Usage:
    python benchmarks/end_to_end.py [--sizes 100k,1m] [--repeat 3] [--world DIR]
    python benchmarks/end_to_end.py --huge [--repeat 3]

In-process timings (``allocation_scale.py``) leave out what a user pays on every run:
interpreter start, imports, reading and validating the files, writing the plan. This
benchmark times the whole command, beside ``floor_greedy.py`` (a self-contained vectorised
greedy doing the same job from the same files), so that the ratio says how much the
optimal plan costs over the simplest plan one could write.

Per size, on one generated world (30 depots, seed 7; ``--world`` reuses a folder), each
repeat runs, one after another, so that a drift in the machine's load hits all alike:

- ``optimal``: ``parts-priority allocate --snapshot DIR --out plan.parquet``;
- ``optimal_2_workers``: the same with ``--workers 2``;
- ``floor_greedy``: ``python benchmarks/floor_greedy.py DIR greedy.parquet``.

Each run's wall time is from start to reaped exit; its peak memory is ``ru_maxrss`` from
``os.wait4`` (the largest resident set of the process and of any descendant it waited
for: one process's peak, not a sum) and, beside it, the largest sum of proportional set
sizes over the process's session, sampled every 50 ms (``--sample SECONDS`` to change it;
sampling costs CPU the command then lacks): what the process and its workers hold at once,
shared pages counted once. The plan each run wrote is read back (lines,
units by class), so a reader sees the outputs are comparable. A run that fails or times out
is reported with its exit code and the last line of its error output; the benchmark
carries on.

``--huge`` runs the example snapshot twice, with every order quantity and every stock level
set to 1,000,000,000 and set to 1, each under a 3 GB address-space limit: a plan for a
billion units must cost what a plan for one unit costs.

One JSON document goes to stdout; progress lines go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SIZES = {"100k": (100_000, 10_000), "1m": (1_000_000, 50_000)}
DEPOTS = 30
SEED = 7
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLOOR = HERE / "floor_greedy.py"
EXAMPLE = ROOT / "scenarios" / "example"
HUGE = 1_000_000_000
ADDRESS_LIMIT = 3 * 1024**3
SAMPLE_SECONDS = 0.05
# Reading every process's smaps_rollup costs CPU the measured command then lacks (a 2-core
# machine has none to spare while two workers run): ``--sample`` widens the interval.


def main() -> None:
    global SAMPLE_SECONDS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", help="comma-separated, of " + ", ".join(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--world",
        action="append",
        default=[],
        help="an existing snapshot folder for the size at the same position (repeatable)",
    )
    parser.add_argument("--huge", action="store_true", help="the huge-quantities check")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument(
        "--sample", type=float, default=SAMPLE_SECONDS, help="seconds between memory samples"
    )
    args = parser.parse_args()
    SAMPLE_SECONDS = args.sample
    sizes = (args.sizes or ("" if args.huge else "100k,1m")).split(",")
    sizes = [s for s in sizes if s]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r} (known: {', '.join(SIZES)})")
    if len(args.world) > len(sizes):
        parser.error("more --world folders than sizes")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    document: dict[str, Any] = {"machine": machine(), "repeat": args.repeat}
    with tempfile.TemporaryDirectory(prefix="pp-e2e-") as tmp:
        if sizes:
            worlds = dict(zip(sizes, [Path(w) for w in args.world], strict=False))
            document.update(run_sizes(sizes, worlds, args.repeat, args.timeout, Path(tmp)))
        if args.huge:
            document["huge"] = run_huge(args.repeat, args.timeout, Path(tmp))
    document["machine"]["load_average_after"] = load_average()
    print(json.dumps(document, indent=2))


# -- sizes ---------------------------------------------------------------------------------


def run_sizes(
    sizes: list[str], worlds: dict[str, Path], repeat: int, timeout: float, tmp: Path
) -> dict[str, Any]:
    """Every size: its world, the result row of each command, the ratios between them."""
    world_info: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    ratios: dict[str, Any] = {}
    for size in sizes:
        orders, parts = SIZES[size]
        world = worlds.get(size)
        info: dict[str, Any] = {"orders": orders, "parts": parts, "depots": DEPOTS, "seed": SEED}
        if world is None:
            world = tmp / f"world-{size}"
            progress(f"{size}: generating {orders:,} orders, {parts:,} parts into {world}")
            gen = measure(generate_command(world, orders, parts), tmp, timeout)
            info.update(generated=True, generate_seconds=gen.seconds, generate_exit=gen.exit_code)
            if gen.exit_code != 0:
                info["error"] = gen.error
                world_info[size] = info
                progress(f"{size}: generation failed: {gen.error}")
                continue
        else:
            info["generated"] = False
        info["world"] = str(world)
        world_info[size] = info
        out = tmp / f"runs-{size}"
        out.mkdir(exist_ok=True)
        commands = size_commands(world, out)
        runs: dict[str, list[Run]] = {label: [] for label in commands}
        for r in range(repeat):
            for label, (command, plan) in commands.items():
                remove_outputs(plan)
                run = measure(command, out, timeout)
                run.output = plan_summary(plan) if run.exit_code == 0 else None
                runs[label].append(run)
                progress(
                    f"{size} repeat {r + 1}/{repeat} {label}: {run.describe()}"
                    + (f" [{run.error}]" if run.exit_code != 0 else "")
                )
        for label, (command, _) in commands.items():
            results.append(
                {"size": size, "orders": orders, "parts": parts}
                | result_row(label, command, runs[label])
            )
        ratios[size] = size_ratios(runs)
    return {"worlds": world_info, "results": results, "ratios": ratios}


def generate_command(world: Path, orders: int, parts: int) -> list[str]:
    return [
        *cli(),
        "generate",
        "--out",
        str(world),
        "--orders",
        str(orders),
        "--parts",
        str(parts),
        "--depots",
        str(DEPOTS),
        "--seed",
        str(SEED),
        "--format",
        "parquet",
    ]


def size_commands(world: Path, out: Path) -> dict[str, tuple[list[str], Path]]:
    """Label → (command, plan file it writes)."""
    plan, plan_2, greedy = out / "plan.parquet", out / "plan_w2.parquet", out / "greedy.parquet"
    allocate = [*cli(), "allocate", "--snapshot", str(world), "--out"]
    return {
        "optimal": ([*allocate, str(plan)], plan),
        "optimal_2_workers": ([*allocate, str(plan_2), "--workers", "2"], plan_2),
        "floor_greedy": ([sys.executable, str(FLOOR), str(world), str(greedy)], greedy),
    }


def ok_seconds(runs: list[Run]) -> list[float]:
    return [r.seconds for r in runs if r.exit_code == 0]


def cli() -> list[str]:
    """The ``parts-priority`` entry point of this interpreter's environment."""
    beside = Path(sys.executable).with_name("parts-priority")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("parts-priority")
    return [found] if found else [sys.executable, "-m", "simulation.entrypoints.cli"]


def size_ratios(runs: dict[str, list[Run]]) -> dict[str, Any]:
    """Ratios of median seconds, the same ratio within each repeat (a drift in the
    machine's speed between repeats cancels out of those), and the ratio of median CPU
    seconds (which other work on a busy machine disturbs less than wall time)."""

    def ratio(a: str, b: str) -> dict[str, Any]:
        ok_a, ok_b = ok_seconds(runs[a]), ok_seconds(runs[b])
        cpu_a = [r.cpu_seconds for r in runs[a] if r.exit_code == 0]
        cpu_b = [r.cpu_seconds for r in runs[b] if r.exit_code == 0]
        paired = [
            round(x.seconds / y.seconds, 3)
            for x, y in zip(runs[a], runs[b], strict=True)
            if x.exit_code == 0 and y.exit_code == 0 and y.seconds > 0
        ]
        return {
            "of_medians": (
                round(statistics.median(ok_a) / statistics.median(ok_b), 3)
                if ok_a and ok_b
                else None
            ),
            "per_repeat": paired,
            "cpu_of_medians": (
                round(statistics.median(cpu_a) / statistics.median(cpu_b), 3)
                if cpu_a and cpu_b and statistics.median(cpu_b) > 0
                else None
            ),
        }

    return {
        "optimal_over_greedy": ratio("optimal", "floor_greedy"),
        "workers_2_speedup": ratio("optimal", "optimal_2_workers"),
    }


# -- huge quantities -----------------------------------------------------------------------


def run_huge(repeat: int, timeout: float, tmp: Path) -> dict[str, Any]:
    """The example snapshot with a billion units per order and stock level, and with one."""
    snapshots = {"huge": tmp / "huge", "one": tmp / "one"}
    for (name, folder), quantity in zip(snapshots.items(), (HUGE, 1), strict=True):
        shutil.copytree(EXAMPLE, folder, dirs_exist_ok=True)
        set_column(folder / "orders.csv", "quantity", quantity)
        set_column(folder / "stock.csv", "on_hand", quantity)
        progress(f"huge: {name} snapshot at {folder} (quantities and on_hand = {quantity:,})")
    runs: dict[str, list[Run]] = {name: [] for name in snapshots}
    commands: dict[str, tuple[list[str], Path]] = {}
    for name, folder in snapshots.items():
        plan = tmp / f"plan-{name}.parquet"
        commands[name] = ([*cli(), "allocate", "--snapshot", str(folder), "--out", str(plan)], plan)
    for r in range(repeat):
        for name, (command, plan) in commands.items():
            remove_outputs(plan)
            run = measure(command, tmp, timeout, preexec=limit_address_space)
            run.output = plan_summary(plan) if run.exit_code == 0 else None
            runs[name].append(run)
            progress(
                f"huge repeat {r + 1}/{repeat} {name}: {run.describe()}"
                + (f" [{run.error}]" if run.exit_code != 0 else "")
            )
    rows = {name: result_row(name, commands[name][0], runs[name]) for name in snapshots}

    def over(key: str, stat: str) -> float | None:
        a, b = rows["huge"][key][stat], rows["one"][key][stat]
        return round(a / b, 3) if a is not None and b else None

    return {
        "snapshot": str(EXAMPLE),
        "quantity": {"huge": HUGE, "one": 1},
        "address_space_limit_gb": ADDRESS_LIMIT / 1024**3,
        "results": rows,
        "huge_over_one": {
            "seconds": over("seconds", "median"),
            "peak_memory_mb": over("peak_memory_mb", "median"),
        },
    }


def set_column(path: Path, column: str, value: int) -> None:
    """Every row's ``column`` set to ``value``; every other cell kept as written."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index(column)
    for row in rows[1:]:
        if row:
            row[at] = str(value)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))


# -- one measured run ----------------------------------------------------------------------


@dataclass
class Run:
    """One finished process: wall and CPU seconds, peak memory, exit code."""

    seconds: float
    cpu_seconds: float
    peak_memory_mb: float
    peak_session_pss_mb: float
    exit_code: int
    error: str | None = None
    output: dict[str, Any] | None = field(default=None)

    def describe(self) -> str:
        return (
            f"exit {self.exit_code}, {self.seconds:.2f} s, cpu {self.cpu_seconds:.2f} s, "
            f"peak {self.peak_memory_mb:.0f} MB (session {self.peak_session_pss_mb:.0f} MB)"
        )


def measure(
    command: Sequence[str],
    cwd: Path,
    timeout: float,
    preexec: Callable[[], None] | None = None,
) -> Run:
    """Run a command in a new session and reap it with ``os.wait4`` for its own rusage.

    The new session lets the sampler find every descendant (they share the session id)
    and lets a timeout kill them all; output goes to files, never to an unread pipe.
    """
    log = cwd / "last_run"
    log.mkdir(exist_ok=True)
    stdout, stderr = log / "stdout", log / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(
                list(command),
                cwd=cwd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=preexec,  # safe: no thread of ours runs while it forks
            )
        except OSError as exc:
            return Run(0.0, 0.0, 0.0, 0.0, -1, error=f"{type(exc).__name__}: {exc}")
        sampler = SessionSampler(proc.pid, started + timeout)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            sampler.stop()
        seconds = time.perf_counter() - started
    exit_code = os.waitstatus_to_exitcode(status)
    proc.returncode = exit_code
    error = None
    if exit_code != 0:
        error = "timed out" if sampler.timed_out else last_line(stderr) or last_line(stdout)
    return Run(
        seconds=round(seconds, 3),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 3),
        peak_memory_mb=round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        peak_session_pss_mb=round(sampler.peak_bytes / 1024**2, 1),
        exit_code=exit_code,
        error=error,
    )


class SessionSampler(threading.Thread):
    """Samples the memory a session's processes hold at once; kills them at the deadline."""

    def __init__(self, session: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.session = session
        self.deadline = deadline
        self.peak_bytes = 0
        self.timed_out = False
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            self.peak_bytes = max(self.peak_bytes, session_pss(self.session))
            if time.perf_counter() > self.deadline and not self.timed_out:
                self.timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.session, signal.SIGKILL)

    def stop(self) -> None:
        self._done.set()
        self.join()


def session_pss(session: int) -> int:
    """Bytes held by the processes of a session: the sum of their proportional set sizes.

    PSS splits a page shared by several processes between them, so forked workers sharing
    their parent's pages copy-on-write are not counted twice (a sum of resident sets would
    be). Read from /proc (about half a millisecond for a 2 GB process); 0 when none is left.
    """
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
            # Fields after the command name (which may hold spaces): state ppid pgrp session …
            fields = stat[stat.rindex(b")") + 2 :].split()
            if int(fields[3]) != session:
                continue
            with open(f"/proc/{entry.name}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total


def last_line(path: Path) -> str | None:
    lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip()[:500] if lines else None


def remove_outputs(plan: Path) -> None:
    """A failed run must not leave the previous run's plan to be read as its own."""
    for path in (plan, plan.with_name(f"{plan.stem}.unfilled{plan.suffix}")):
        path.unlink(missing_ok=True)


# -- reports -------------------------------------------------------------------------------


def result_row(label: str, command: Sequence[str], runs: list[Run]) -> dict[str, Any]:
    """Medians over the runs that succeeded; every run's exit code and error."""
    ok = [r for r in runs if r.exit_code == 0]

    def stats(values: list[float], keys: Sequence[str]) -> dict[str, float | None]:
        pick: dict[str, Callable[[list[float]], float]] = {
            "median": statistics.median,
            "min": min,
            "max": max,
        }
        return {k: (round(pick[k](values), 3) if values else None) for k in keys}

    outputs = [r.output for r in ok if r.output is not None]
    return {
        "label": label,
        "command": shlex.join(command),
        "runs": len(runs),
        "succeeded": len(ok),
        "exit_codes": [r.exit_code for r in runs],
        "seconds": stats([r.seconds for r in ok], ("median", "min", "max"))
        | {"all": [r.seconds for r in runs]},
        "cpu_seconds": stats([r.cpu_seconds for r in ok], ("median",)),
        "peak_memory_mb": stats([r.peak_memory_mb for r in ok], ("median", "max"))
        | {"all": [r.peak_memory_mb for r in runs]},
        "peak_session_pss_mb": stats([r.peak_session_pss_mb for r in ok], ("median", "max")),
        "errors": [r.error for r in runs if r.error],
        "output": outputs[0] if outputs else None,
        "same_output_every_run": all(o == outputs[0] for o in outputs) if outputs else None,
    }


def plan_summary(plan: Path) -> dict[str, Any]:
    """Lines and units by class of a plan file and of its unfilled file."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    def by_class(path: Path) -> dict[str, Any]:
        table = pq.read_table(path, columns=["quantity", "priority_class"])
        units = {
            str(row["priority_class"]): int(row["quantity_sum"])
            for row in table.group_by("priority_class").aggregate([("quantity", "sum")]).to_pylist()
        }
        return {
            "lines": table.num_rows,
            "units": int(pc.sum(table["quantity"]).as_py() or 0),
            "parts_priority_units": units.get("parts_priority", 0),
            "standard_units": units.get("standard", 0),
        }

    try:
        unfilled = plan.with_name(f"{plan.stem}.unfilled{plan.suffix}")
        return {"plan": by_class(plan), "unfilled": by_class(unfilled)}
    except Exception as exc:  # a plan that cannot be read is a finding, not a crash
        return {"error": f"{type(exc).__name__}: {exc}"}


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_average_before": load_average(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "working_tree_changed": bool(git("status", "--porcelain", "--untracked-files=no")),
        # Code on PYTHONPATH comes before this checkout's (how another version is measured).
        "pythonpath": os.environ.get("PYTHONPATH"),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def progress(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
