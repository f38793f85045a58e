"""API key format and hashing: pure, so the exact values are unit-tested."""

import base64
import hashlib
import secrets

KEY_PREFIX = "isk_"
KEY_RANDOM_BYTES = 32


def key_from_bytes(random_bytes: bytes) -> str:
    if len(random_bytes) != KEY_RANDOM_BYTES:
        raise ValueError(f"need {KEY_RANDOM_BYTES} random bytes")
    return KEY_PREFIX + base64.urlsafe_b64encode(random_bytes).decode().rstrip("=")


def new_key() -> str:
    return key_from_bytes(secrets.token_bytes(KEY_RANDOM_BYTES))


def hash_key(key: str) -> str:
    """Keys carry 256 random bits, so a plain SHA-256 cannot be brute-forced and stays fast."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]
