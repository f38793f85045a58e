"""A row shape's SELECT list and generated dict builder come from one table, in one order."""

import pytest
from sqlalchemy import column

from intentsync.db.rows import RowShape, WireColumn


def test_each_value_lands_under_its_own_wire_name_through_its_converter():
    shape = RowShape(
        "test",
        [
            WireColumn(None, column("key")),
            WireColumn("b", column("b")),
            WireColumn("a", column("a"), lambda v: v * 10),
            WireColumn("c'\"", column("c")),
        ],
    )
    assert [c.name for c in shape.columns] == ["key", "b", "a", "c"]
    assert shape.wire_names == ("b", "a", "c'\"")
    wire = shape.to_wire((99, "B", 4, None))
    assert wire == {"b": "B", "a": 40, "c'\"": None}
    assert list(wire) == ["b", "a", "c'\""]  # the table's order is the wire order


def test_a_row_of_another_length_is_refused():
    shape = RowShape("test", [WireColumn("a", column("a")), WireColumn("b", column("b"))])
    with pytest.raises(ValueError, match="unpack"):
        shape.to_wire((1, 2, 3))


def test_a_wire_name_given_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        RowShape("test", [WireColumn("a", column("a")), WireColumn("a", column("b"))])
