"""What the people who run the service see: the token before anything else, closed docs and
metrics unless opened, the access log, the metrics, the startup line and how ``serve`` starts
uvicorn."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Engine

from allocation.entrypoints.cli import main
from allocation.errors import InputError
from allocation.service import server
from allocation.service.logs import ACCESS_LOGGER, JsonFormatter, log_config
from allocation.service.policy import default_policy
from allocation.service.server import ServeOptions, public_url, settings_for_serve, startup_line
from allocation.service.settings import ConnectionLimits, ServiceSettings
from tests.service import worlds
from tests.service.conftest import AUTH, TOKEN, make_client
from tests.service.helpers import key, write

DOCS = ["/docs", "/redoc", "/openapi.json"]


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_docs_and_the_openapi_schema_need_the_token_unless_opened(engine: Engine) -> None:
    closed = make_client(engine)
    for path in DOCS:
        assert closed.get(path).status_code == 401, path
        assert closed.get(path, headers=AUTH).status_code == 200, path
    assert closed.get("/health").status_code == 200
    opened = make_client(engine, open_docs=True)
    for path in DOCS:
        assert opened.get(path).status_code == 200, path
    assert opened.get("/plan").status_code == 401  # opening the docs opens nothing else


def test_without_a_token_any_request_is_a_401_before_its_body_query_or_path_is_looked_at(
    client: TestClient,
) -> None:
    json_header = {"content-type": "application/json", "Idempotency-Key": key()}
    for answer in [
        client.post("/orders", content=b"{", headers=json_header),
        client.post("/orders", content=b"x" * 2_000_000, headers=json_header),
        client.post("/orders", json={"unknown": 1}, headers=json_header),
        client.get("/plan?bogus=1"),
        client.get("/plan?offset=-1"),
        client.get("/orders/O%00X"),
        client.get("/nowhere"),
        client.delete("/orders/O-1"),
        client.get("/plan", headers={"Authorization": "Bearer wrong-token-0123456789"}),
        client.get("/plan", headers={"Authorization": f"Basic {TOKEN}"}),
    ]:
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["errors"][0]["field"] == "header.Authorization"
    # With the token, the same requests get what they deserve.
    assert client.get("/plan?bogus=1", headers=AUTH).status_code == 422
    assert client.post("/orders", content=b"{", headers={**AUTH, **json_header}).status_code == 400


def test_metrics_need_the_token_and_count_requests_by_route_template_and_status(
    engine: Engine,
) -> None:
    client = make_client(engine)
    route = "/orders/{order_id}"
    before = _sample("parts_priority_http_requests_total", method="GET", route=route, status="404")
    for order in ("O-404-1", "O-404-2"):
        assert client.get(f"/orders/{order}", headers=AUTH).status_code == 404
    assert client.get("/metrics").status_code == 401
    scraped = client.get("/metrics", headers=AUTH)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    for name in [
        "parts_priority_http_requests_total",
        "parts_priority_http_request_duration_seconds_bucket",
        "parts_priority_write_duration_seconds",
        "parts_priority_writer_queue_depth",
    ]:
        assert name in text, name
    after = _sample("parts_priority_http_requests_total", method="GET", route=route, status="404")
    assert after - before == 2
    assert "O-404-1" not in text  # a label per order id would grow without bound
    assert _sample("parts_priority_http_requests_total", method="GET", route="none", status="401")
    assert make_client(engine, open_metrics=True).get("/metrics").status_code == 200


def test_a_write_is_timed_with_the_writer_and_leaves_the_queue_empty(engine: Engine) -> None:
    client = make_client(engine)
    before = _sample("parts_priority_write_duration_seconds_count", write="PostOrders")
    assert write(client, "POST", "/orders", worlds.order("O-M")).status_code == 201
    assert _sample("parts_priority_write_duration_seconds_count", write="PostOrders") == before + 1
    assert _sample("parts_priority_writer_queue_depth") == 0


def test_each_request_writes_one_access_line_with_method_path_status_and_time(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(engine)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get("/orders/O%0AX?x=%0D", headers=AUTH)
        client.get("/health")
    lines = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert [r.getMessage().split()[:3] for r in lines] == [
        ["GET", "/orders/O%0AX?x=%0D", "422"],  # as sent: no line break reaches the log
        ["GET", "/health", "200"],
    ]
    fields = lines[0].access  # type: ignore[attr-defined]
    assert set(fields) == {"method", "path", "status", "ms", "client"}
    assert "\n" not in lines[0].getMessage()
    assert "\r" not in lines[0].getMessage()


def test_a_json_log_line_carries_the_access_fields_and_escapes_what_is_not_printable() -> None:
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, "GET x 200", (), None)
    record.access = {"method": "GET", "path": "/orders/O\\x00X", "status": 200, "ms": 1.5}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    document = json.loads(line)
    assert document["path"] == "/orders/O\\x00X"
    assert document["status"] == 200
    assert document["level"] == "INFO"
    assert document["logger"] == ACCESS_LOGGER
    assert document["time"].endswith("Z")


def test_the_log_level_and_the_access_log_switch_set_the_loggers() -> None:
    loggers = log_config("warning", "json", access_log=True)["loggers"]
    assert loggers["parts_priority"]["level"] == "WARNING"
    assert loggers[ACCESS_LOGGER]["level"] == "WARNING"  # info lines: not at warning
    assert log_config("debug", "text", access_log=False)["loggers"][ACCESS_LOGGER]["level"] == (
        "WARNING"
    )
    assert log_config("info")["loggers"][ACCESS_LOGGER]["level"] == "INFO"
    with pytest.raises(ValueError, match="log level must be one of"):
        log_config("loud")


def test_the_startup_line_names_the_url_the_store_without_its_password_the_writers_and_docs() -> (
    None
):
    settings = ServiceSettings(
        database_url="postgresql+psycopg://app:s3cret@db.internal:5432/parts?password=s3cret",
        tokens=(TOKEN,),
        writer="process",
    )
    line = startup_line(settings, ServeOptions(host="0.0.0.0", port=9000, workers=2))
    assert "s3cret" not in line
    assert "serving http://0.0.0.0:9000" in line
    assert "store postgresql+psycopg://app@db.internal:5432/parts" in line
    assert "2 server processes, each with a writer process" in line
    assert "docs http://0.0.0.0:9000/docs (need the token)" in line
    assert public_url("sqlite:///parts-priority.db") == "sqlite:///parts-priority.db"


def test_serve_runs_uvicorn_with_the_guarded_protocol_its_log_and_a_health_check_that_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import uvicorn

    ran: dict[str, Any] = {}
    # serve hands its settings to worker processes through the environment: a copy here.
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(options, app=app))
    monkeypatch.setattr(server, "migrate", lambda _engine: "head")
    # Not migrated, the database has no stored policy to read: the defaults.
    monkeypatch.setattr(server, "service_policy", lambda _connection: default_policy())
    monkeypatch.setenv("PARTS_PRIORITY_TOKEN", TOKEN)
    for name in ("PARTS_PRIORITY_DB", "PARTS_PRIORITY_OPEN_DOCS", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with caplog.at_level(logging.INFO):
        code = main(
            [
                "serve",
                "--db",
                url,
                "--workers",
                "2",
                "--log-level",
                "warning",
                "--open-docs",
                "--read-timeout",
                "7.5",
                "--max-header",
                "4096",
                "--log-format",
                "json",
            ]
        )
    assert code == 0
    assert ran["http"] == "allocation.service.protocol:GuardedHttpToolsProtocol"
    assert ran["workers"] == 2
    assert ran["timeout_worker_healthcheck"] == 60  # importing the app took 13 s when loaded
    assert ran["timeout_keep_alive"] == 5
    assert ran["access_log"] is False  # the app's own access log has the time taken
    assert ran["log_config"]["loggers"]["parts_priority"]["level"] == "WARNING"
    assert os.environ["PARTS_PRIORITY_OPEN_DOCS"] == "1"
    assert os.environ["PARTS_PRIORITY_READ_TIMEOUT"] == "7.5"
    assert ConnectionLimits.from_env() == ConnectionLimits(4096, 7.5)


def test_serve_refuses_an_unknown_log_format_or_nonsense_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARTS_PRIORITY_TOKEN", TOKEN)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["serve", "--db", url, "--log-format", "xml"]) == 2
    assert "--log-format must be one of text, json" in capsys.readouterr().err
    assert main(["serve", "--db", url, "--read-timeout", "0"]) == 2
    assert not (tmp_path / "x.db").exists()
    with pytest.raises(InputError, match="PARTS_PRIORITY_READ_TIMEOUT must be a number"):
        ConnectionLimits.from_env({"PARTS_PRIORITY_READ_TIMEOUT": "soon"})
    with pytest.raises(InputError, match="at least 1024 bytes"):
        ConnectionLimits.from_env({"PARTS_PRIORITY_MAX_HEADER": "10"})


def test_the_default_limits_refuse_what_was_accepted_before() -> None:
    limits = ConnectionLimits()
    assert limits.max_header_bytes < 32 * 2**20  # a 32 MB header was accepted
    assert limits.read_timeout_s < 70  # stalled uploads were still open after 70 s
    settings, env = settings_for_serve(None, None, True, 1_048_576, 1000)
    assert env["PARTS_PRIORITY_MAX_HEADER"] == "16384"
    assert not settings.open_docs
    assert not settings.open_metrics
