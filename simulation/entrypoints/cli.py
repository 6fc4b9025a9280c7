"""The planner's command line: allocation's commands plus ``simulate``, ``compare``, ``sweep``,
``check`` and ``scenario-schema``.

The console script ``parts-priority`` points here. This module mounts its commands on the
allocation CLI's typer app (the engine never imports the simulator) and maps the simulator's
exceptions to exit codes: 0 done, 2 bad input or usage (a scenario error names file, line and
field), 1 unexpected, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM); never a traceback
unless ``PARTS_PRIORITY_DEBUG=1``.

Every command only translates: it reads the scenario, calls a use case of
:mod:`simulation.use_cases`, then shows a table, prints one JSON document (``--json``), writes
tables (``--out``) and plots (``--plots``). Progress goes to standard error. Replications
send their records back only for ``--out``, which writes them; everything else is shown from
the tables each replication reduced where it ran.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from allocation.entrypoints import app, known_strategy, print_json
from allocation.entrypoints import main as run_cli
from simulation.entrypoints import analysis as _analysis  # noqa: F401  (diff, protect)
from simulation.errors import ScenarioError, SimulationError
from simulation.scenario.schema import DEFAULT_PATH

if TYPE_CHECKING:
    from simulation.scenario.load import ScenarioFile

# The simulation stack (the scenario models, SimPy, the engine, the plots, the result tables)
# is imported inside the commands that use it: ``--help``, ``--version`` and the allocation
# commands of the same CLI do without it.

__all__ = ["app", "main", "run"]

_GROUPS = ("priority_class", "tier", "country", "customer_id", "part_number")

ScenarioArgument = Annotated[
    Path,
    typer.Argument(
        metavar="SCENARIO", help="scenario YAML file (see scenarios/)", show_default=False
    ),
]
Replications = Annotated[
    int | None,
    typer.Option(
        "--replications", "-r", min=1, metavar="N", help="replications (default: the scenario's)"
    ),
]
Seed = Annotated[
    int | None, typer.Option(min=0, metavar="N", help="random seed (default: the scenario's)")
]
Sets = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="FIELD=VALUE",
        help="replace a scenario field (dotted path, repeatable)",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]
Out = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="folder for records and KPI tables (Parquet and CSV) and the run's report facts",
    ),
]
Plots = Annotated[Path | None, typer.Option(metavar="DIR", help="folder for PNG charts")]
Workers = Annotated[
    int,
    typer.Option(min=0, metavar="N", help="local processes for replications (0: one per core)"),
]
Dask = Annotated[
    str | None,
    typer.Option(metavar="ADDRESS", help="run replications on a Dask scheduler, or 'local'"),
]
Confidence = Annotated[
    float,
    typer.Option(min=0.5, max=0.999, metavar="LEVEL", help="confidence level of the intervals"),
]
Policy = Annotated[
    str | None,
    typer.Option(metavar="POLICY", help="optimal, fifo or tier_greedy (default: the scenario's)"),
]


@app.command()
def simulate(
    scenario: ScenarioArgument,
    replications: Replications = None,
    seed: Seed = None,
    policy: Policy = None,
    sets: Sets = None,
    by: Annotated[
        str | None,
        typer.Option(
            metavar="GROUP[,GROUP…]",
            help=f"also show KPIs per group: {', '.join(_GROUPS)} (comma-separated)",
        ),
    ] = None,
    as_json: AsJson = False,
    out: Out = None,
    plots: Plots = None,
    workers: Workers = 0,
    dask: Dask = None,
    confidence: Confidence = 0.95,
) -> None:
    """Replay a scenario under one policy: downtime, fill rate and cost per priority class."""
    from simulation.entrypoints.figures import simulation_figures
    from simulation.entrypoints.output import simulation_document, simulation_tables
    from simulation.entrypoints.progress import replication_bar
    from simulation.entrypoints.views import show_simulation
    from simulation.use_cases import simulate as run_simulate

    groups = _groups(by)
    _policy(policy, "--policy")
    _prepare(out, plots, dask)
    overrides = _single_overrides(sets)
    source = _load(scenario, overrides)
    count = replications or source.scenario.replications
    with _located(source), replication_bar(count, source.scenario.name) as progress:
        result = run_simulate(
            source,
            replications=count,
            seed=seed,
            policy=policy,
            workers=_workers(workers),
            dask=dask,
            progress=progress,
            keep_records=out is not None,
            kpis_by=[groups] if groups else (),
        )
    document = simulation_document(result, source, confidence, groups, overrides)
    _report(
        document,
        as_json,
        show_simulation,
        out,
        lambda: simulation_tables(result, confidence, groups),
        plots,
        lambda: simulation_figures(result, confidence),
        lambda: {"": result.report_facts()},
    )


@app.command()
def compare(
    scenario: ScenarioArgument,
    policies: Annotated[
        str,
        typer.Option(
            metavar="POLICY[,POLICY…]",
            help="optimal, fifo or tier_greedy, comma-separated; differences are measured "
            "against the first",
        ),
    ] = "optimal,fifo",
    replications: Replications = None,
    seed: Seed = None,
    sets: Sets = None,
    as_json: AsJson = False,
    out: Out = None,
    plots: Plots = None,
    workers: Workers = 0,
    dask: Dask = None,
    confidence: Confidence = 0.95,
    no_bound: Annotated[
        bool,
        typer.Option(
            "--no-bound",
            help="skip the hindsight bound (the least parts-priority downtime any policy "
            "could have had on the same random numbers)",
        ),
    ] = False,
) -> None:
    """Run several policies on the same random numbers and show their paired differences,
    and how far each is from the hindsight bound."""
    from simulation.entrypoints.figures import comparison_figures
    from simulation.entrypoints.output import comparison_document, comparison_tables
    from simulation.entrypoints.progress import replication_bar
    from simulation.entrypoints.views import show_comparison
    from simulation.use_cases import compare as run_compare

    names = [name.strip() for name in policies.split(",") if name.strip()]
    for name in names:
        _policy(name, "--policies")
    if len(names) < 2:
        raise typer.BadParameter(
            "name at least two policies, e.g. optimal,fifo", param_hint="--policies"
        )
    _prepare(out, plots, dask)
    overrides = _single_overrides(sets)
    source = _load(scenario, overrides)
    count = replications or source.scenario.replications
    label = f"{source.scenario.name}: {len(names)} policies"
    with _located(source), replication_bar(count * len(names), label) as progress:
        comparison = run_compare(
            source,
            names,
            replications=count,
            seed=seed,
            workers=_workers(workers),
            dask=dask,
            progress=progress,
            keep_records=out is not None,
            bound=not no_bound,
        )
    document = comparison_document(comparison, source, confidence, overrides)
    _report(
        document,
        as_json,
        show_comparison,
        out,
        lambda: comparison_tables(comparison, confidence),
        plots,
        lambda: comparison_figures(comparison, confidence),
        lambda: {name: r.report_facts() for name, r in comparison.results.items()},
    )


@app.command()
def sweep(
    scenario: ScenarioArgument,
    sets: Annotated[
        list[str],
        typer.Option(
            "--set",
            metavar="FIELD=V1,V2,…",
            help="a field and its values (repeat for a grid of several fields)",
            show_default=False,
        ),
    ],
    policy: Policy = None,
    replications: Replications = None,
    seed: Seed = None,
    as_json: AsJson = False,
    out: Out = None,
    plots: Plots = None,
    workers: Workers = 0,
    dask: Dask = None,
    confidence: Confidence = 0.95,
) -> None:
    """Run a scenario at every point of a grid of field values (same seed at every point)."""
    from simulation.entrypoints.figures import sweep_figures
    from simulation.entrypoints.output import sweep_document, sweep_tables
    from simulation.entrypoints.progress import replication_bar
    from simulation.entrypoints.views import show_sweep
    from simulation.scenario.load import parse_override
    from simulation.use_cases import sweep as run_sweep

    _policy(policy, "--policy")
    _prepare(out, plots, dask)
    grid: dict[str, list[Any]] = {}
    for text in sets:
        field, values = parse_override(text)
        if field in grid:
            raise typer.BadParameter(f"{field} is set twice", param_hint="--set")
        grid[field] = values
    source = _load(scenario, {})
    points = 1
    for values in grid.values():
        points *= len(values)
    for point in _grid_points(grid):  # every point validates before anything runs
        with _located(source):
            source.with_overrides(point)
    _warn_overridden(source, grid)
    count = replications or source.scenario.replications
    strategy = policy or source.scenario.policy.strategy
    label = f"{source.scenario.name}: {points} points"
    with _located(source), replication_bar(count * points, label) as progress:
        result = run_sweep(
            source,
            grid,
            replications=count,
            seed=seed,
            policy=policy,
            workers=_workers(workers),
            dask=dask,
            progress=progress,
            keep_records=out is not None,
        )
    # The header shows what every point shares: the scenario with its one-valued fields.
    shared = source.with_overrides({f: v[0] for f, v in grid.items() if len(v) == 1})
    document = sweep_document(result, shared, confidence, strategy)
    _report(
        document,
        as_json,
        show_sweep,
        out,
        lambda: sweep_tables(result, confidence),
        plots,
        lambda: sweep_figures(result, confidence),
    )


@app.command()
def check(scenario: ScenarioArgument, sets: Sets = None) -> None:
    """Validate a scenario against its world without running it: exit 0 when it would run."""
    from simulation.world.setup import build_setup

    source = _load(scenario, _single_overrides(sets))
    with _located(source):
        setup = build_setup(source)
    spec = source.scenario
    Console().print(
        f"{scenario}: ok — {spec.name!r}: {len(setup.snapshot.customers):,} customers, "
        f"{setup.part_count:,} parts, {len(setup.depot_ids):,} depots, "
        f"{len(setup.snapshot.orders):,} open orders at the start, "
        f"{spec.horizon_days:g} days, {_count(len(spec.disruptions), 'disruption')}, "
        f"policy {spec.policy.strategy}, {_count(spec.replications, 'replication')}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("scenario-schema")
def scenario_schema(
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help=f"write it here (the repository keeps {DEFAULT_PATH})"),
    ] = None,
    check_only: Annotated[
        bool, typer.Option("--check", help="exit 1 if the file at --out is out of date")
    ] = False,
) -> None:
    """Print (or write) the JSON Schema of scenario files, generated from the models."""
    from simulation.scenario.schema import check_schema, schema_text, write_schema

    if check_only:
        target = out or DEFAULT_PATH
        if not check_schema(target):
            raise SimulationError(
                f"{target} is out of date: run parts-priority scenario-schema --out {target}"
            )
        Console(stderr=True).print(f"{target} is up to date", highlight=False)
        return
    if out is None:
        sys.stdout.write(schema_text())
        return
    Console(stderr=True, soft_wrap=True).print(
        f"wrote {write_schema(out)}", markup=False, highlight=False
    )


def main(argv: list[str] | None = None, handle_signals: bool = False) -> int:
    """Run ``parts-priority`` (allocation's and the simulator's commands); return the exit code.

    ``handle_signals`` is for the console script's own process (see
    :func:`allocation.entrypoints.main`): SIGTERM then stops a command as Ctrl-C does.

    Examples
    --------
    >>> main(["check", "scenarios/does-not-exist.yaml"])
    2
    """
    return run_cli(
        argv,
        input_errors=(ScenarioError,),
        other_errors=(SimulationError,),
        handle_signals=handle_signals,
    )


def run() -> None:
    """The console script: :func:`main`, then leave without tearing the interpreter down.

    Every result is written (files atomically, streams flushed) before ``main`` returns;
    what is left is freeing the tables and unloading the libraries, a few tenths of a second
    nobody needs to wait for. Only the exit code is kept. Ctrl-C and SIGTERM end the command
    with 130 and 143, its worker processes ended and no output half written.
    """
    code = main(handle_signals=True)
    for stream in (sys.stdout, sys.stderr):
        # The reader may have gone away (``| head``), or the stream be closed.
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code)


# -- helpers ---------------------------------------------------------------------------------


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def _load(path: Path, overrides: Mapping[str, Any]) -> ScenarioFile:
    from simulation.scenario.load import load_scenario

    source = load_scenario(path, overrides or None)
    _warn_overridden(source, {field: [value] for field, value in overrides.items()})
    return source


def _warn_overridden(source: ScenarioFile, grid: Mapping[str, list[Any]]) -> None:
    """Warn on stderr of values set for a field that a disruption of the scenario overrides."""
    from simulation.scenario.load import overridden_by_disruptions

    for warning in overridden_by_disruptions(source, grid):
        Console(stderr=True).print(
            f"warning: {warning}", markup=False, highlight=False, soft_wrap=True
        )


@contextmanager
def _located(source: ScenarioFile) -> Iterator[None]:
    """Add the scenario file's line to errors found while resolving it against its world."""
    try:
        yield
    except ScenarioError as exc:
        raise ScenarioError(source.locate(str(exc))) from None


def _single_overrides(sets: list[str] | None) -> dict[str, Any]:
    from simulation.scenario.load import parse_override

    overrides: dict[str, Any] = {}
    for text in sets or []:
        field, values = parse_override(text)
        if len(values) != 1:
            raise typer.BadParameter(
                f"{text!r}: one value per field here (sweep runs several)", param_hint="--set"
            )
        if field in overrides:
            raise typer.BadParameter(f"{field} is set twice", param_hint="--set")
        overrides[field] = values[0]
    return overrides


def _grid_points(grid: Mapping[str, list[Any]]) -> Iterator[dict[str, Any]]:
    import itertools

    fields = list(grid)
    for values in itertools.product(*(grid[f] for f in fields)):
        yield dict(zip(fields, values, strict=True))


def _policy(name: str | None, option: str) -> None:
    if name is not None:
        known_strategy(name, option, noun="policy")


def _groups(by: str | None) -> list[str]:
    if by is None:
        return []
    groups = [name.strip() for name in by.split(",") if name.strip()]
    unknown = [name for name in groups if name not in _GROUPS]
    if unknown or not groups:
        raise typer.BadParameter(
            f"unknown group {unknown[0] if unknown else by!r} (use {', '.join(_GROUPS)})",
            param_hint="--by",
        )
    return groups


def _prepare(out: Path | None, plots: Path | None, dask: str | None) -> None:
    """Refuse, before a long run, output folders that cannot be made and a missing Dask."""
    for option, folder in (("--out", out), ("--plots", plots)):
        if folder is not None:
            _writable_folder(folder, option)
    if dask is not None and importlib.util.find_spec("distributed") is None:
        raise typer.BadParameter(
            "needs Dask's distributed scheduler: pip install 'dask[distributed]'",
            param_hint="--dask",
        )


def _writable_folder(folder: Path, option: str) -> None:
    if folder.exists() and not folder.is_dir():
        raise typer.BadParameter(f"{folder} exists and is not a folder", param_hint=option)
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise typer.BadParameter(f"{existing} is not a folder", param_hint=option)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"cannot write in {existing}", param_hint=option)


def _workers(workers: int) -> int:
    if workers > 0:
        return workers
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _report(
    document: Mapping[str, Any],
    as_json: bool,
    show: Any,
    out: Path | None,
    tables: Any,
    plots: Path | None,
    figures: Any,
    facts: Any = None,
) -> None:
    """Compute everything first, then write files, then print: a failure writes nothing.
    Each folder appears whole or not at all; ``facts`` makes the report facts to write with
    the tables (by folder, see :func:`~simulation.entrypoints.output.write_tables`)."""
    from allocation.adapters import atomic_folder
    from simulation.entrypoints.output import write_tables
    from simulation.plots import write_plots

    frames = tables() if out is not None else None
    run_facts = facts() if out is not None and facts is not None else None
    charts = figures() if plots is not None else None
    err = Console(stderr=True)
    if out is not None and frames is not None:
        written = write_tables(frames, out, document, run_facts)
        err.print(
            f"wrote {len(written)} files to {out}", markup=False, highlight=False, soft_wrap=True
        )
    if plots is not None and charts is not None:
        with atomic_folder(plots) as folder:
            paths = write_plots(charts, folder)
        err.print(
            f"wrote {len(paths)} charts to {plots}", markup=False, highlight=False, soft_wrap=True
        )
    if as_json:
        print_json(document)
    else:
        show(Console(), document)


if __name__ == "__main__":  # pragma: no cover
    run()
