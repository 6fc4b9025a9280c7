"""Finding a few orders among many by id: the rows, in row order, however many are asked."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocation.engine import rows_of

pytestmark = pytest.mark.fast
_IDS = st.lists(st.text(alphabet="OX-0123", min_size=1, max_size=4), unique=True, max_size=40)


@given(ids=_IDS, data=st.data())
def test_rows_of_finds_exactly_the_rows_of_the_ids_asked_for(
    ids: list[str], data: st.DataObject
) -> None:
    strangers = st.text(alphabet="QZ", min_size=1, max_size=3)
    wanted = data.draw(st.sets(st.sampled_from(ids) | strangers if ids else strangers, max_size=20))
    table = np.array(ids, dtype=object)
    rows = rows_of(table, wanted)
    assert rows.tolist() == [i for i, x in enumerate(ids) if x in wanted]
    assert rows.dtype == np.int64
