"""The ``parts-priority`` command line: parse, call a use case, show the result, exit.

Exit codes: 0 done, 2 bad input or usage (with a message naming the problem), 1 unexpected.
Set ``PARTS_PRIORITY_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.exceptions import Abort, Exit, TyperException

from allocation.adapters.inputs import load_entitlement_inputs
from allocation.adapters.policy_file import entitlement_policy_from, load_policy_sections
from allocation.domain.entitlement import EntitlementPolicy
from allocation.entitle import entitle as run_entitle
from allocation.entrypoints.output import print_json, write_frame
from allocation.entrypoints.views import show_entitlement
from allocation.errors import AllocationError, InputError

__all__ = ["app", "main"]

app = typer.Typer(
    name="parts-priority",
    help="Parts-allocation priority engine: Priority Management customers first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_UNEXPECTED, EXIT_INPUT = 0, 1, 2
_err = Console(stderr=True)

ExistingFile = Annotated[
    Path, typer.Option(exists=True, dir_okay=False, readable=True, show_default=False)
]


def parse_day(value: str | None) -> date | None:
    """An ISO date from the command line, or a usage error naming it."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def entitlement_policy(path: Path | None) -> EntitlementPolicy:
    """The ``entitlement`` section of a policy file, or the data sheet's defaults."""
    if path is None:
        return EntitlementPolicy()
    return entitlement_policy_from(load_policy_sections(path).get("entitlement", {}), str(path))


@app.callback()
def _root() -> None:
    """Parts Priority: decide who gets scarce spare parts, and measure the downtime."""


@app.command()
def entitle(
    customers: Annotated[Path, typer.Option(help="customers table (.csv or .parquet)")],
    contracts: Annotated[Path, typer.Option(help="contracts table (.csv or .parquet)")],
    orders: Annotated[Path, typer.Option(help="orders table (.csv or .parquet)")],
    on: Annotated[
        str | None, typer.Option(help="decide as of this day (YYYY-MM-DD); default: order day")
    ] = None,
    policy: Annotated[Path | None, typer.Option(help="policy YAML (section 'entitlement')")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON array")] = False,
    out: Annotated[
        Path | None, typer.Option(help="write decisions to .csv, .parquet or .json")
    ] = None,
) -> None:
    """Decide each order line's priority class and tier, with the reasons."""
    if as_json and out is not None:
        raise typer.BadParameter("use either --json or --out, not both")
    day = parse_day(on)
    pol = entitlement_policy(policy)
    inputs = load_entitlement_inputs(customers, contracts, orders)
    report = run_entitle(inputs, on=day, policy=pol)
    if as_json:
        print_json(report.to_records())
        return
    if out is not None:
        write_frame(report.to_pandas(), out, report.to_records())
        Console().print(f"wrote {len(report.decisions)} decisions to {out}")
        return
    show_entitlement(Console(), report)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every outcome into an exit code; never a bare traceback."""
    try:
        app(args=argv, standalone_mode=False)
    except Exit as exc:
        return int(exc.exit_code)
    except Abort:
        _err.print("aborted")
        return EXIT_UNEXPECTED
    except TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _err.print(f"error: {exc.format_message()}", markup=False, highlight=False)
        return EXIT_INPUT if exc.exit_code == EXIT_INPUT else int(exc.exit_code) or EXIT_INPUT
    except InputError as exc:
        _err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        return EXIT_INPUT
    except AllocationError as exc:
        _err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        return EXIT_UNEXPECTED
    except KeyboardInterrupt:
        _err.print("interrupted")
        return 130
    except Exception as exc:
        if os.environ.get("PARTS_PRIORITY_DEBUG"):
            traceback.print_exc()
        _err.print(
            f"[bold red]unexpected error:[/] {type(exc).__name__}: {exc}\n"
            "(set PARTS_PRIORITY_DEBUG=1 to see the traceback)",
            markup=True,
            highlight=False,
        )
        return EXIT_UNEXPECTED
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
