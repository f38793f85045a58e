"""Public identifiers: 24 hex characters, time-ordered like the ids the real service returns."""

import secrets
import threading

_counter_lock = threading.Lock()
_counter = secrets.randbelow(1 << 24)
_process_tag = secrets.token_bytes(5)


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
    global _counter
    with _counter_lock:
        _counter = (_counter + 1) & 0xFFFFFF
        counter = _counter
    return object_id(epoch_seconds, _process_tag, counter)


def is_object_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)
