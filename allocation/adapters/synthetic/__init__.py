"""Synthetic worlds: every input table of the engine, generated at any size from one seed.

Benchmarks, demos and tests need worlds that look like a real service business without real
customer data: an installed base where most customers have no contract and a minority hold
Priority Management, part demand where a few hot parts carry most of the units, too little
supply for exactly those parts, depots in the big markets and lanes that reach every site. The
generator is vectorised NumPy/pandas (a million orders take seconds), draws every number from
``numpy.random.default_rng`` streams spawned from one seed (same arguments, same tables), and
reads the SKUs and the country coverage from the rulebook, so a change of the data sheet
changes the worlds too.

The tables pass the column specs in :mod:`allocation.domain.tables`; :func:`write_world`
stores them as CSV or Parquet, one file per table, each written atomically.

Only what ``__all__`` lists is public. Behind it, one private module per concept:
``_world`` checks the arguments and joins the tables; ``_geography`` holds countries, regions,
depots and the suppliers' sites; ``_customers`` customers and contracts; ``_demand`` parts,
supersessions and orders; ``_supply`` stock, inbound receipts, supply options and lanes;
``_files`` the atomic writer; ``_common`` the ids, rounding and timestamps they all share.
"""

from __future__ import annotations

from allocation.adapters.synthetic._files import write_world
from allocation.adapters.synthetic._world import TABLE_NAMES, generate_world

__all__ = ["TABLE_NAMES", "generate_world", "write_world"]
