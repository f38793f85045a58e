"""Numbers stored in Float columns, read back the way the client sent them."""

from typing import Annotated

from pydantic import PlainSerializer

# Beyond 2**53 a float no longer holds every integer, and JSON parsers may not hold the int.
_EXACT_INT = 2**53


def as_sent(value: float) -> int | float:
    """A whole number reads back 50000, not 50000.0: clients compare it with what they sent."""
    if value.is_integer() and abs(value) <= _EXACT_INT:
        return int(value)
    return value


def _optional_as_sent(value: float | None) -> int | float | None:
    return None if value is None else as_sent(value)


# A Float column's value on the wire: whole values as ints, fractions untouched.
OptSentNumber = Annotated[
    float | None, PlainSerializer(_optional_as_sent, return_type=int | float | None)
]
