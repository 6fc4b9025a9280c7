"""The vectorised classifier agrees with the per-order entitlement engine on every line: class,
tier and why an order lost parts priority."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.adapters.inputs import load_entitlement_inputs
from allocation.domain.entitlement import (
    EntitlementPolicy,
    entitle_orders,
    lost_priority_code,
    lost_priority_words,
)
from allocation.domain.root_causes import EXCLUDED_COUNTRY, is_code, not_entitled
from allocation.domain.rulebook import default_rulebook
from allocation.engine import Classes, classify_orders
from tests.budget import examples

SKUS = sorted(default_rulebook().skus)
PM_SKUS = sorted(code for code, sku in default_rulebook().skus.items() if sku.tier.value == "PM")
COUNTRIES = ["US", "UY", "DE", "DO", "VN", "JP", "EC", "BR"]
PRODUCTS = ["desktop", "notebook", "business_printer", "tablet", "monitor", "server"]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_cust = draw(st.integers(1, 4))
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n_cust)],
            "name": [f"Customer {i}" for i in range(n_cust)],
            "country": draw(st.lists(st.sampled_from(COUNTRIES), min_size=n_cust, max_size=n_cust)),
            "installed_base_pcs": draw(
                st.lists(
                    st.sampled_from([0, 200, 249, 250, 999, 1000, 1200]),
                    min_size=n_cust,
                    max_size=n_cust,
                )
            ),
            "installed_base_printers": draw(
                st.lists(st.sampled_from([0, 1, 300, 800]), min_size=n_cust, max_size=n_cust)
            ),
            "has_it_helpdesk": draw(st.lists(st.booleans(), min_size=n_cust, max_size=n_cust)),
        }
    )
    n_k = draw(st.integers(0, 6))
    purchases = draw(
        st.lists(st.dates(date(2020, 1, 1), date(2026, 6, 30)), min_size=n_k, max_size=n_k)
    )
    activations = draw(
        st.lists(st.one_of(st.none(), st.integers(0, 60)), min_size=n_k, max_size=n_k)
    )
    contracts = pd.DataFrame(
        {
            "contract_id": [f"K{i}" for i in range(n_k)],
            "customer_id": draw(
                st.lists(
                    st.sampled_from(list(customers["customer_id"])), min_size=n_k, max_size=n_k
                )
            ),
            # Priority Management contracts half the time: orders that lose it are the point.
            "sku": draw(
                st.lists(
                    st.one_of(st.sampled_from(SKUS), st.sampled_from(PM_SKUS)),
                    min_size=n_k,
                    max_size=n_k,
                )
            ),
            "purchase_date": [p.isoformat() for p in purchases],
            "activation_date": [
                "" if a is None else (p + timedelta(days=a)).isoformat()
                for p, a in zip(purchases, activations, strict=True)
            ],
        }
    )
    n_o = draw(st.integers(1, 8))
    created = draw(
        st.lists(
            st.datetimes(datetime(2021, 1, 1), datetime(2027, 12, 31)), min_size=n_o, max_size=n_o
        )
    )
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(n_o)],
            "customer_id": draw(
                st.lists(
                    st.sampled_from(list(customers["customer_id"])), min_size=n_o, max_size=n_o
                )
            ),
            "part_number": "P1",
            "quantity": 1,
            "created_at": [c.isoformat() for c in created],
            "product_type": draw(st.lists(st.sampled_from(PRODUCTS), min_size=n_o, max_size=n_o)),
            "warranty_valid": draw(st.lists(st.booleans(), min_size=n_o, max_size=n_o)),
            "ship_to_country": draw(
                st.lists(st.sampled_from(["", *COUNTRIES]), min_size=n_o, max_size=n_o)
            ),
        }
    )
    return customers, contracts, orders


policies = st.builds(
    EntitlementPolicy,
    site_country=st.sampled_from(["ship_to", "customer"]),
    pa_plus_installed_base_counts=st.sampled_from(["pcs_and_printers", "pcs"]),
    start_days_after_purchase=st.one_of(st.none(), st.integers(0, 45)),
    require_it_helpdesk=st.booleans(),
    enforce_installed_base=st.booleans(),
)


@pytest.mark.property
@settings(max_examples=examples(200), deadline=None)
@given(worlds(), policies, st.one_of(st.none(), st.dates(date(2021, 1, 1), date(2027, 12, 31))))
def test_bulk_classes_tiers_and_lost_codes_match_the_per_order_engine(
    world: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    policy: EntitlementPolicy,
    on: date | None,
) -> None:
    inputs = load_entitlement_inputs(*world)
    bulk = classify_orders(inputs, on=on, policy=policy)
    single = entitle_orders(
        inputs.order_objects(), inputs.customer_objects(), inputs.contract_objects(), on, policy
    )
    assert bulk["order_id"].tolist() == [d.order_id for d in single]
    assert bulk["priority_class"].tolist() == [d.priority_class.value for d in single]
    assert bulk["tier"].tolist() == [d.tier.value for d in single]
    assert bulk["lost_code"].tolist() == [lost_priority_code(d) for d in single]
    # A store hands the names back; the codes are the same.
    again = Classes.of_names(bulk)
    assert again.to_pandas(bulk["order_id"].to_numpy(dtype=object)).equals(bulk)
    for d in single:
        code = lost_priority_code(d)
        if code is None:
            continue
        assert is_code(code)
        failed = [f for f in d.findings if not f.passed]
        if code in _WORDS_OF_THE_FINDING:
            # Where the finding depends on the country alone, the plan says it word for word.
            assert lost_priority_words(code, d.country) == failed[0].message


_WORDS_OF_THE_FINDING = {
    EXCLUDED_COUNTRY,
    not_entitled("coverage"),
    not_entitled("warranty"),
    not_entitled("it_helpdesk"),
}
