"""Load on the HTTP service: concurrent clients posting orders over loopback. JSON out.

Usage: python benchmarks/service_load.py [--stores sqlite,postgres] [--clients 32]
           [--posts 3000] [--parts 10000] [--repeat 3] [--rate 0]

Each run loads a synthetic world (10,000 parts, 20 depots, 10,000 open orders; 70% of
demand coverable unless ``--coverable`` says otherwise) into a fresh database, starts
``parts-priority serve`` on it, warms it up, then lets ``--clients`` asynchronous clients
(httpx) post ``--posts`` new orders, each a fresh copy of an order of the world (same
customers, parts and countries) under an Idempotency-Key. With ``--rate 0`` (default) every
client posts its next order as soon as the last is answered (closed loop: the throughput the
server sustains); with ``--rate R`` the clients together start R posts per second on a fixed
schedule (open loop: latency at that offered load).

On PostgreSQL ``--workers N`` starts N server processes sharing the part groups'
partitions (``PARTS_PRIORITY_PARTITIONED=0`` in the environment: each runs the writes it
receives, as before the scale-out); ``routed`` counts the posts sent to their partition's
owner (``owner``) and run where they arrived (``here``), warm-up included.

At the end every acknowledged order must be in the database exactly once and the store's
reconciliation (every committed state replayed from the ledger and the supply journal) must
find nothing. Prints throughput, p50/p99 latency, the server's peak memory, and the CPU time
per post of the server and of the load generator per run, and medians over the repeats,
with the load average before and after: the machine is shared, and CPU time per post is
the figure its other work disturbs least.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from allocation import generate_world, load_snapshot
from allocation.adapters.store import make_engine, migrate, schema
from allocation.adapters.store.database import run_read
from allocation.adapters.store.reconcile import check_store
from allocation.service.loading import load_into_store

TOKEN = "benchmark-token-0123456789"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


def _world(parts: int, seed: int, coverable: float) -> tuple[Any, list[dict[str, Any]]]:
    tables = generate_world(10_000, parts, 20, seed, coverable_share=coverable)
    orders = tables["orders"]
    templates = []
    for row in orders.to_dict(orient="records"):
        ship_to = row.get("ship_to_country")
        templates.append(
            {
                "customer_id": row["customer_id"],
                "part_number": row["part_number"],
                "quantity": int(row["quantity"]),
                "product_type": row["product_type"],
                "warranty_valid": bool(row["warranty_valid"]),
                **({"ship_to_country": ship_to} if isinstance(ship_to, str) and ship_to else {}),
            }
        )
    return load_snapshot(tables), templates


def _database(store: str, folder: Path) -> tuple[str, str | None]:
    if store == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", None
    import psycopg

    name = f"pp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}", name


def _drop(name: str | None) -> None:
    if name is None:
        return
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _serve(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "allocation.entrypoints.cli", "serve", "--db", url]
    command += ["--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "PARTS_PRIORITY_TOKEN": TOKEN}
    # Started outside any checkout: ``-m`` puts the working directory first on the path, and
    # the code on PYTHONPATH (another version, to compare) must be the code that serves.
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=out, cwd=log.parent)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json().get("loaded"):
                return server
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("server not ready in 120 s")


def _family(pid: int) -> list[int]:
    """A process and its descendants: uvicorn's workers and each one's writer process."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found.extend(_family(int(child)))
    return found


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process and its children used."""
    total = 0.0
    for p in _family(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children, in MB."""
    total = 0
    for p in _family(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


class _Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON and reads the answer.

    The load generator shares the machine's cores with the server: httpx spends about 2 ms
    of CPU per request (4 ms with the open loop's timers), a fifth of a core at 100 posts/s,
    which the server then lacks. This client writes the request bytes itself and reads the
    answer by its Content-Length, for a tenth of that; ``--client httpx`` measures with
    httpx instead.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self._host, self._port = host, port
        self._head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, body: dict[str, Any], key: str) -> tuple[int, Any]:
        """Status and JSON answer of one POST /orders (reconnecting if the server closed)."""
        payload = json.dumps(body, separators=(",", ":")).encode()
        request = (
            f"POST /orders HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n{self._head}"
            f"Idempotency-Key: {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        self._writer.write(request)
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        if "content-length" not in fields:
            raise RuntimeError(f"answer without Content-Length: {head[0]}")
        answer = json.loads(await self._reader.readexactly(int(fields["content-length"])))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, answer

    async def close(self) -> None:
        """Close the connection (the next post opens another)."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


async def _post_all(
    base: str, bodies: list[dict[str, Any]], clients: int, rate: float, kind: str = "raw"
) -> tuple[list[float], list[tuple[str, int, Any]], float]:
    """Post every body; latencies (s), (order_id, status, answer) and the wall time."""
    latencies: list[float] = []
    answers: list[tuple[str, int, Any]] = []
    queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
    for item in enumerate(bodies):
        queue.put_nowait(item)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    host, port = base.removeprefix("http://").split(":")
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as c:

        async def post_httpx(body: dict[str, Any], key: str) -> tuple[int, Any]:
            answer = await c.post("/orders", json=body, headers={"Idempotency-Key": key})
            return answer.status_code, answer.json()

        start = time.perf_counter()

        async def client() -> None:
            own = _Connection(host, int(port), headers)
            post = own.post if kind == "raw" else post_httpx
            try:
                while not queue.empty():
                    index, body = queue.get_nowait()
                    if rate > 0:  # open loop: this post's slot on the schedule
                        await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
                    sent = time.perf_counter()
                    key = uuid.uuid4().hex
                    status, answer = await post(body, key)
                    latencies.append(time.perf_counter() - sent)
                    answers.append((body["order_id"], status, answer))
            finally:
                await own.close()

        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - start
    return latencies, answers, wall


def _partitioned() -> bool:
    """Whether the servers share the part groups' partitions (``PARTS_PRIORITY_PARTITIONED``
    is not 0: the default; 0 measures every server running the writes it receives)."""
    return os.environ.get("PARTS_PRIORITY_PARTITIONED", "1") not in ("0", "false", "no")


def _routed(base: str) -> dict[str, int]:
    """Writes the servers sent to their partition's owner, and ran where they arrived,
    from ``/metrics`` (the sum over every server process)."""
    totals = {"owner": 0, "here": 0}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for line in httpx.get(f"{base}/metrics", headers=headers, timeout=30).text.splitlines():
        if line.startswith("parts_priority_writes_routed_total{"):
            where = line.split('to="', 1)[1].split('"', 1)[0]
            totals[where] += int(float(line.rsplit(" ", 1)[1]))
    return totals


def _verify(url: str, answers: list[tuple[str, int, Any]]) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        acknowledged = [o for o, status, _ in answers if status == 201]
        o = schema.orders
        stored = run_read(
            engine,
            lambda c: [r[0] for r in c.execute(o.select().with_only_columns(o.c.order_id))],
        )
        counts: dict[str, int] = {}
        for order_id in stored:
            counts[order_id] = counts.get(order_id, 0) + 1
        problems = run_read(engine, check_store)
    finally:
        engine.dispose()
    return {
        "acknowledged": len(acknowledged),
        "lost": sum(1 for x in acknowledged if counts.get(x, 0) == 0),
        "duplicated": sum(1 for x in acknowledged if counts.get(x, 0) > 1),
        "reconciliation_problems": len(problems),
        "first_problems": problems[:3],
    }


def run_once(store: str, args: argparse.Namespace, run: int) -> dict[str, Any]:
    """One fresh database, one server, one load."""
    snapshot, templates = _world(args.parts, args.seed, args.coverable)
    rng = np.random.default_rng(args.seed + run)
    picks = rng.integers(0, len(templates), args.posts + args.warmup)
    bodies = [
        {**templates[int(p)], "order_id": f"L{run}-{i:06d}"} for i, p in enumerate(picks.tolist())
    ]
    with tempfile.TemporaryDirectory(prefix="pp_bench_") as tmp:
        folder = Path(tmp)
        url, pg_name = _database(store, folder)
        try:
            engine = make_engine(url)
            migrate(engine)
            load_into_store(engine, snapshot)
            engine.dispose()
            port = 18000 + (os.getpid() % 1000)
            workers = args.workers if store == "postgres" else 1
            server = _serve(url, port, workers, folder / "server.log")
            try:
                base = f"http://127.0.0.1:{port}"
                asyncio.run(_post_all(base, bodies[: args.warmup], args.clients, 0, args.client))
                load_before = os.getloadavg()
                server_cpu, client_cpu = _cpu_s(server.pid), time.process_time()
                latencies, answers, wall = asyncio.run(
                    _post_all(base, bodies[args.warmup :], args.clients, args.rate, args.client)
                )
                server_cpu = _cpu_s(server.pid) - server_cpu
                client_cpu = time.process_time() - client_cpu
                load_after = os.getloadavg()
                peak = _peak_rss_mb(server.pid)
                routed = _routed(base)
            finally:
                server.terminate()
                server.wait(timeout=30)
            statuses: dict[str, int] = {}
            for _, status, _ in answers:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            ms = np.array(latencies) * 1000
            return {
                "store": store,
                "workers": workers,
                "partitioned": store == "postgres" and _partitioned(),
                "routed": routed,
                "client": args.client,
                "posts": len(answers),
                "seconds": round(wall, 3),
                "posts_per_s": round(len(answers) / wall, 1),
                "p50_ms": round(float(np.percentile(ms, 50)), 1),
                "p99_ms": round(float(np.percentile(ms, 99)), 1),
                "statuses": statuses,
                "server_peak_mb": peak,
                "server_cpu_ms_per_post": round(server_cpu / len(answers) * 1000, 2),
                "client_cpu_ms_per_post": round(client_cpu / len(answers) * 1000, 2),
                "loadavg_before": [round(x, 2) for x in load_before],
                "loadavg_after": [round(x, 2) for x in load_after],
                "check": _verify(url, answers),
            }
        finally:
            _drop(pg_name)


def main() -> None:
    """Run the load for each store, repeat, and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--parts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.0, help="posts/s offered (0: closed loop)")
    parser.add_argument("--workers", type=int, default=2, help="server processes on PostgreSQL")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator: keep-alive sockets written by hand (lean), or httpx",
    )
    parser.add_argument(
        "--coverable", type=float, default=0.7, help="share of demand supply can cover"
    )
    args = parser.parse_args()
    runs = [
        run_once(store, args, run) for store in args.stores.split(",") for run in range(args.repeat)
    ]
    medians = {}
    for store in args.stores.split(","):
        mine = [r for r in runs if r["store"] == store]
        medians[store] = {
            key: statistics.median(r[key] for r in mine)
            for key in (
                "posts_per_s",
                "p50_ms",
                "p99_ms",
                "server_peak_mb",
                "server_cpu_ms_per_post",
                "client_cpu_ms_per_post",
            )
        }
    document = {
        "clients": args.clients,
        "posts": args.posts,
        "parts": args.parts,
        "coverable_share": args.coverable,
        "rate": args.rate or "closed loop",
        "client": args.client,
        "cpus": os.cpu_count(),
        "medians": medians,
        "runs": runs,
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
