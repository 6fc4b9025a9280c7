"""A product type the rules do not know is refused at the door, naming the field and the
closest known types; one they know as not covered is a valid order of class standard."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service import worlds
from tests.service.conftest import AUTH


def _post(client: TestClient, body: dict[str, object], key: str) -> object:
    return client.post("/orders", json=body, headers={**AUTH, "Idempotency-Key": key})


def test_an_unknown_product_type_is_a_422_naming_the_field_and_the_closest_types(
    client: TestClient,
) -> None:
    answer = _post(client, worlds.order("O-TYPO", product_type="notebok"), "k-typo")
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert "notebok" in answer.text
    assert "notebook" in answer.text  # did you mean
    fields = [e.get("field", "") for e in problem.get("errors", [])]
    assert any("product_type" in f for f in fields), problem
    assert client.get("/orders/O-TYPO", headers=AUTH).status_code == 404


def test_a_product_type_known_as_not_covered_is_a_standard_order(client: TestClient) -> None:
    answer = _post(client, worlds.order("O-SRV", product_type="server"), "k-server")
    assert answer.status_code in (200, 201), answer.text
    assert answer.json()["priority_class"] == "standard"
