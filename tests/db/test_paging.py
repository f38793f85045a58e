"""Keyset cursors name ids: one past the id column's range reads as the end, never reaches SQL."""

import pytest

from intentsync.db.models import Account, Segment
from intentsync.db.paging import largest_id
from intentsync.deals.repository import _DEALS
from intentsync.kit.pagination import encode_cursor
from tests.factories import CRM, V1


def test_largest_id_follows_the_declared_column_type():
    assert largest_id(Segment.id) == 2**31 - 1
    assert largest_id(Account.id) == 2**63 - 1
    assert largest_id(_DEALS.c.id) == 2**63 - 1


@pytest.mark.parametrize("base", [CRM, V1])
def test_a_segment_cursor_past_the_32_bit_id_column_is_the_end_of_the_walk(ws, base):
    ws.segment()
    response = ws.client.get(base + "/segments", params={"cursor": encode_cursor(2**31, 1)})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["data"] == []
    assert response.json()["data"]["hasNextPage"] is False


def test_the_largest_segment_id_is_still_a_valid_cursor(ws):
    ws.segment()
    response = ws.get("/segments", params={"cursor": encode_cursor(2**31 - 1, 1)})
    assert response.status_code == 200
    assert response.json()["data"]["nextCursor"] is None


@pytest.mark.parametrize("path", ["/accounts", "/deals", "/sales-activities"])
def test_64_bit_id_columns_take_any_cursor_we_could_have_issued(ws, path):
    response = ws.get(path, params={"cursor": encode_cursor(2**63 - 1, 1)})
    assert response.status_code == 200, response.text
