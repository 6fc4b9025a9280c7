"""``diff`` and ``protect`` for plans *and* simulated runs.

Allocation's CLI compares plan files (``diff``) and protection levels on one snapshot
(``protect --snapshot``). The simulator's CLI replaces both commands on the shared app with
versions that also take what only the simulator has: ``diff`` reads folders written by
``simulate --out`` through allocation's reader hook, and ``protect SCENARIO`` recommends
levels by simulation (:func:`simulation.protection.recommend_protection`). Plan files and
``--snapshot`` keep working as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from allocation import InputError
from allocation.entrypoints import app, print_json, show_plan_diff, show_plan_protection

__all__ = ["replace_command"]


def replace_command(name: str) -> None:
    """Drop the command called ``name`` from the shared app, so that a richer one can take
    its place under the same name."""
    app.registered_commands[:] = [
        command
        for command in app.registered_commands
        if (command.name or getattr(command.callback, "__name__", "").replace("_", "-")) != name
    ]


replace_command("diff")
replace_command("protect")


@app.command("diff")
def diff_runs(
    a: Annotated[
        Path,
        typer.Argument(
            metavar="A",
            help="a plan file (`allocate --out`) or a run's folder (`simulate --out`)",
        ),
    ],
    b: Annotated[Path, typer.Argument(metavar="B", help="the same kind as A")],
    by: Annotated[
        str,
        typer.Option(metavar="LEVEL", help="customer, country, priority_class (default) or order"),
    ] = "priority_class",
    snapshot: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="for plan files: the snapshot the orders come from (customers, countries)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Who gains and who loses from A to B: two plans, or two runs of one scenario and seed."""
    for path in (a, b):
        if not path.exists():
            raise InputError(f"{path}: no such file or folder (a plan file or a run folder)")
    runs = [path.is_dir() for path in (a, b)]
    if runs[0] != runs[1]:
        kinds = {True: "a folder (a run, as `simulate --out` writes)", False: "a plan file"}
        raise InputError(
            f"compare a plan with a plan or a run with a run: {a} is {kinds[runs[0]]}, "
            f"{b} is {kinds[runs[1]]}"
        )
    from simulation.run_diff import read_run_outcomes

    hours = "downtime" if runs[0] else "eta"
    show_plan_diff(a, b, by, snapshot, as_json, reader=read_run_outcomes, hours=hours)


@app.command()
def protect(
    scenario: Annotated[
        Path | None,
        typer.Argument(
            metavar="SCENARIO",
            help="scenario YAML: recommend levels by simulation",
            show_default=False,
        ),
    ] = None,
    levels: Annotated[
        str | None,
        typer.Option(
            metavar="N,N,…|FILE",
            help="with SCENARIO: levels to try, e.g. 0,1,2,3; with --snapshot: a levels table",
        ),
    ] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="snapshot folder: compare one plan with and without"),
    ] = None,
    parts: Annotated[
        str | None,
        typer.Option(
            metavar="PART[,PART…]", help="parts or patterns to consider, comma-separated (HDD-*)"
        ),
    ] = None,
    depots: Annotated[
        str | None,
        typer.Option(metavar="DEPOT[,DEPOT…]", help="depots to consider, comma-separated"),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1, metavar="N", help="default: the scenario's"),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, metavar="N", help="default: the scenario's")
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="FIELD=VALUE", help="replace a scenario field"),
    ] = None,
    objective: Annotated[
        str, typer.Option(metavar="cap|weighted", help="cap (default) or weighted")
    ] = "cap",
    standard_cap: Annotated[
        float,
        typer.Option(
            min=0.0, metavar="SHARE", help="cap: standard mean downtime may rise by this share"
        ),
    ] = 0.10,
    standard_weight: Annotated[
        float,
        typer.Option(
            min=0.0, metavar="WEIGHT", help="weighted: weight of a standard downtime hour"
        ),
    ] = 0.25,
    min_gain_hours: Annotated[
        float,
        typer.Option(
            min=0.0, metavar="HOURS", help="a higher level must gain at least this many hours"
        ),
    ] = 0.5,
    shelves: Annotated[
        int, typer.Option(min=1, metavar="N", help="shelves (depot × part) to search")
    ] = 4,
    rounds: Annotated[int, typer.Option(min=1, metavar="N", help="passes of the search")] = 2,
    workers: Annotated[
        int, typer.Option(min=1, metavar="N", help="local processes for replications")
    ] = 1,
    default: Annotated[
        int, typer.Option(min=0, metavar="N", help="--snapshot: level of unlisted pairs")
    ] = 0,
    policy: Annotated[
        Path | None, typer.Option(metavar="FILE", help="--snapshot: policy YAML")
    ] = None,
    strategy: Annotated[
        str, typer.Option(metavar="STRATEGY", help="--snapshot: optimal, fifo or tier_greedy")
    ] = "optimal",
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="with SCENARIO: write the levels as CSV for the policy"),
    ] = None,
) -> None:
    """Recommend protection levels for a SCENARIO by simulation, or try a table on a snapshot."""
    if (scenario is None) == (snapshot is None):
        raise typer.BadParameter(
            "give a SCENARIO (recommend levels by simulation) or --snapshot DIR (compare "
            "one plan with and without a levels table), not both"
            if scenario is not None
            else "give a SCENARIO to recommend levels, or --snapshot DIR --levels FILE"
        )
    if snapshot is not None:
        if levels is None:
            raise typer.BadParameter("--snapshot needs --levels FILE", param_hint="--levels")
        if out is not None:
            raise typer.BadParameter("--out writes recommended levels: it needs a SCENARIO")
        show_plan_protection(snapshot, Path(levels), default, policy, strategy, as_json)
        return
    assert scenario is not None
    _recommend(scenario, locals())


def _recommend(scenario: Path, options: dict[str, Any]) -> None:
    from simulation.entrypoints.progress import replication_bar
    from simulation.entrypoints.views import show_recommendation
    from simulation.protection import OBJECTIVES, recommend_protection
    from simulation.scenario.load import load_scenario, parse_override

    if options["objective"] not in OBJECTIVES:
        raise typer.BadParameter(
            f"unknown objective {options['objective']!r} (use {', '.join(OBJECTIVES)})",
            param_hint="--objective",
        )
    tried = _whole_numbers(options["levels"] or "0,1,2,3")
    parts, depots = _names(options["parts"], "--parts"), _names(options["depots"], "--depots")
    overrides: dict[str, Any] = {}
    for text in options["sets"] or []:
        field, values = parse_override(text)
        if len(values) != 1 or field in overrides:
            raise typer.BadParameter(f"{text!r}: one value per field, once", param_hint="--set")
        overrides[field] = values[0]
    source = load_scenario(scenario, overrides or None)
    count = options["replications"] or source.scenario.replications
    shelves, rounds = options["shelves"], options["rounds"]
    bound = (1 + rounds * shelves * max(len(tried) - 1, 1)) * count
    label = f"{source.scenario.name}: protection levels"
    with replication_bar(bound, label) as progress:
        advice = recommend_protection(
            source,
            parts=parts,
            depots=depots,
            levels=tried,
            replications=count,
            seed=options["seed"],
            objective=options["objective"],
            standard_cap=options["standard_cap"],
            standard_weight=options["standard_weight"],
            min_gain_hours=options["min_gain_hours"],
            shelves=shelves,
            rounds=rounds,
            workers=options["workers"],
            progress=progress,
        )
    out = options["out"]
    if out is not None:
        advice.write_levels(out)
        Console(stderr=True).print(f"wrote {len(advice.levels_table())} level(s) to {out}")
    if options["as_json"]:
        print_json(advice.document())
    else:
        show_recommendation(Console(), advice, currency=source.scenario.currency)


def _whole_numbers(text: str) -> list[int]:
    values = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece.isdigit():
            raise typer.BadParameter(
                f"{piece!r} is not a whole number of units (e.g. --levels 0,1,2,3; a levels "
                "table goes with --snapshot)",
                param_hint="--levels",
            )
        values.append(int(piece))
    return values


def _names(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise typer.BadParameter(f"{text!r} names nothing", param_hint=option)
    return names
