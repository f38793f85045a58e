"""Public identifiers: 24 hex characters, time-ordered like the ids the real service returns."""

import itertools
import secrets

_process_tag_hex = secrets.token_bytes(5).hex()
_counter = itertools.count(secrets.randbelow(1 << 24) + 1)


def _layout(epoch_seconds: int, tag_hex: str, counter: int) -> str:
    """Four bytes of time, five of process tag, three of counter, as hex."""
    return f"{epoch_seconds & 0xFFFFFFFF:08x}{tag_hex}{counter & 0xFFFFFF:06x}"


def object_id(epoch_seconds: int, process_tag: bytes, counter: int) -> str:
    if len(process_tag) != 5:
        raise ValueError("process_tag must be 5 bytes")
    return _layout(epoch_seconds, process_tag.hex(), counter)


def new_object_id(epoch_seconds: int) -> str:
    """object_id with this process's tag and next counter; count() is atomic under the GIL."""
    return _layout(epoch_seconds, _process_tag_hex, next(_counter))


def is_object_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)
