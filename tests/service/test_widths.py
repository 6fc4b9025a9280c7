"""The store's integers are 64-bit on both stores: the migration that widened them, and what
they hold afterwards."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from allocation.adapters.store import make_engine, migrate
from allocation.adapters.store.database import is_sqlite, run_read
from allocation.adapters.store.migrate import MIGRATIONS, current_revision, head_revision

THREE_BILLION = 3_000_000_000  # past PostgreSQL's INTEGER (2,147,483,647)
ROWS = (
    "INSERT INTO part_groups (group_key, version) VALUES ('P-A', 7)",
    "INSERT INTO parts (part_number, unit_cost, group_key) VALUES ('P-A', 1.0, 'P-A')",
    "INSERT INTO depots (depot_id, country) VALUES ('D-US', 'US')",
    "INSERT INTO stock (part_number, depot_id, on_hand) VALUES ('P-A', 'D-US', 5)",
)


def _columns(engine: Engine) -> dict[tuple[str, str], str]:
    query = text(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND data_type IN ('integer', 'bigint')"
    )
    rows = run_read(engine, lambda c: c.execute(query).all())
    return {(r[0], r[1]): r[2] for r in rows}


def test_the_migration_widens_quantities_balances_and_counters_keeping_the_rows(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0003")
    with engine.begin() as connection:
        for statement in ROWS:
            connection.execute(text(statement))
    assert migrate(engine) == head_revision() == current_revision(engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE stock SET on_hand = {THREE_BILLION}"))
        connection.execute(text(f"UPDATE part_groups SET version = {THREE_BILLION}"))
        connection.execute(
            text(
                "INSERT INTO supply_journal (group_key, txn, event, part_number, supply_key, "
                f"delta, recorded_at) VALUES ('P-A', {THREE_BILLION}, 'receipt', 'P-A', "
                f"'stock|D-US', {THREE_BILLION}, '2026-12-01')"
            )
        )
    held = run_read(
        engine,
        lambda c: c.execute(
            text(
                "SELECT s.on_hand, g.version, j.delta FROM stock s, part_groups g, supply_journal j"
            )
        ).one(),
    )
    assert tuple(held) == (THREE_BILLION, THREE_BILLION, THREE_BILLION)
    if not is_sqlite(engine):  # SQLite's integers are 64-bit whatever their declared type
        columns = _columns(engine)
        for column in [
            ("stock", "on_hand"),
            ("inbound", "quantity"),
            ("supply_options", "capacity"),
            ("orders", "quantity"),
            ("orders", "backorder_quantity"),
            ("ledger", "quantity"),
            ("ledger", "entry_id"),
            ("holdings", "quantity"),
            ("supply_journal", "delta"),
            ("part_groups", "version"),
        ]:
            assert columns[column] == "bigint", column
        sequence = run_read(
            engine,
            lambda c: c.execute(
                text(
                    "SELECT data_type FROM information_schema.sequences "
                    "WHERE sequence_name = 'ledger_entry_id_seq' "
                    "AND sequence_schema = current_schema()"
                )
            ).scalar_one(),
        )
        assert sequence == "bigint"
    engine.dispose()


def test_the_migration_goes_back_while_the_values_fit(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as connection:
        for statement in ROWS:
            connection.execute(text(statement))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert current_revision(engine) == "0003"
    if not is_sqlite(engine):
        assert _columns(engine)[("stock", "on_hand")] == "integer"
    assert migrate(engine) == head_revision()
    on_hand = run_read(engine, lambda c: c.execute(text("SELECT on_hand FROM stock")).scalar())
    assert on_hand == 5
    engine.dispose()
