"""Public identifiers: 24 hex characters, time-ordered like the ids the real service returns."""

import itertools
import secrets

_process_tag = secrets.token_bytes(5)
_process_tag_hex = _process_tag.hex()
_counter = itertools.count(secrets.randbelow(1 << 24) + 1)


def object_id(epoch_seconds: int, process_tag: bytes, counter: int) -> str:
    """Four bytes of time, five of process tag, three of counter, as hex."""
    if len(process_tag) != 5:
        raise ValueError("process_tag must be 5 bytes")
    raw = (
        (epoch_seconds & 0xFFFFFFFF).to_bytes(4, "big")
        + process_tag
        + (counter & 0xFFFFFF).to_bytes(3, "big")
    )
    return raw.hex()


def new_object_id(epoch_seconds: int) -> str:
    """object_id with this process's tag and next counter, in one call: a push makes 100."""
    counter = next(_counter) & 0xFFFFFF  # count() is atomic under the GIL
    return f"{epoch_seconds & 0xFFFFFFFF:08x}{_process_tag_hex}{counter:06x}"


def is_object_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)
