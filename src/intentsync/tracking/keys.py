"""Public write keys: pure, so the format is unit-tested."""

import base64
import secrets

WRITE_KEY_PREFIX = "wk_"
WRITE_KEY_RANDOM_BYTES = 24  # 32 url-safe characters


def write_key_from_bytes(random_bytes: bytes) -> str:
    if len(random_bytes) != WRITE_KEY_RANDOM_BYTES:
        raise ValueError(f"need {WRITE_KEY_RANDOM_BYTES} random bytes")
    return WRITE_KEY_PREFIX + base64.urlsafe_b64encode(random_bytes).decode()


def new_write_key() -> str:
    return write_key_from_bytes(secrets.token_bytes(WRITE_KEY_RANDOM_BYTES))
