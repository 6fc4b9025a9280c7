"""A plain ``POST /orders`` skips FastAPI's dependency solving; every other request is
answered by FastAPI as before (:mod:`allocation.service.order_route`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from allocation.service import order_route
from tests.service import worlds
from tests.service.conftest import AUTH
from tests.service.helpers import key


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each post, whether it took the plain way."""
    seen: list[bool] = []
    plain = order_route._plain

    async def spy(request: Any, field: Any) -> Any:
        found = await plain(request, field)
        seen.append(found is not None)
        return found

    monkeypatch.setattr(order_route, "_plain", spy)
    return seen


def _post(client: TestClient, content: bytes, path: str = "/orders", **headers: str) -> Any:
    sent = {**AUTH, "Idempotency-Key": key(), "Content-Type": "application/json", **headers}
    return client.post(path, content=content, headers=sent)


def test_a_plain_post_and_a_batch_take_the_plain_way(client: TestClient, taken: list) -> None:
    one = _post(client, json.dumps(worlds.order("O-1")).encode())
    batch = {"orders": [worlds.order("O-2"), worlds.order("O-3", part="P-B")]}
    both = _post(client, json.dumps(batch).encode())
    assert (one.status_code, both.status_code) == (201, 201)
    assert one.json()["order_id"] == "O-1"
    assert [o["order_id"] for o in both.json()["orders"]] == ["O-2", "O-3"]
    assert taken == [True, True]


@pytest.mark.parametrize(
    ("content", "path", "headers", "status"),
    [
        (b"{not json", "/orders", {}, 400),
        (b"", "/orders", {}, 422),
        (json.dumps(worlds.order("O-9")).encode(), "/orders?x=1", {}, 422),
        (json.dumps(worlds.order("O-9")).encode(), "/orders", {"Content-Type": "text/plain"}, 422),
        (json.dumps(worlds.order("O-9", quantity=0)).encode(), "/orders", {}, 422),
        (json.dumps(worlds.order("O-9", quantity="2")).encode(), "/orders", {}, 422),
        (json.dumps({"orders": []}).encode(), "/orders", {}, 422),
        (b"[1, 2]", "/orders", {}, 422),
    ],
)
def test_what_fastapi_must_look_at_goes_the_ordinary_way(
    client: TestClient,
    taken: list,
    content: bytes,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    answer = _post(client, content, path, **headers)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert taken == [False]


def test_a_plain_post_answers_as_the_ordinary_way_does(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same posts, one store: the answers of plain posts, then of the same kinds of
    posts with the plain way turned off, differ only in the order ids."""

    def answers(prefix: str) -> list[Any]:
        got = []
        for n, (customer, part, quantity) in enumerate(
            [("C-PM", "P-A", 1), ("C-STD", "P-A", 2), ("C-PM", "P-B", 1), ("C-PM", "P-A", 5)]
        ):
            body = worlds.order(f"{prefix}{n}", customer=customer, part=part, quantity=quantity)
            answer = _post(client, json.dumps(body).encode())
            document = answer.json()
            got.append((answer.status_code, set(document), document.get("priority_class")))
        return got

    plain = answers("A-")

    async def never(request: Any, field: Any) -> None:
        return None

    monkeypatch.setattr(order_route, "_plain", never)
    assert answers("B-") == plain
