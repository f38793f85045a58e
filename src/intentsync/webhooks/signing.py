"""Standard Webhooks signatures, so receivers can verify deliveries with any of its libraries.

The signed content is "{webhook-id}.{webhook-timestamp}.{body}", keyed with the secret's
base64-decoded bytes; webhook-signature carries "v1,<base64 HMAC-SHA256>". While a rotated
secret is still honoured the body is signed with both, space-separated, so a receiver that
has either secret verifies it.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret in the whsec_<base64> form the Standard Webhooks libraries read."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """One versioned signature: v1,<base64 HMAC-SHA256>."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    *,
    secret: str,
    msg_id: str,
    timestamp_ms: int,
    body: bytes,
    previous_secret: str | None = None,
    previous_secret_until_ms: int | None = None,
) -> dict[str, str]:
    """The three Standard Webhooks headers; a rotated secret signs too until it expires."""
    timestamp = timestamp_ms // 1000
    signatures = [sign(secret, msg_id=msg_id, timestamp=timestamp, body=body)]
    if previous_secret and previous_secret_until_ms and previous_secret_until_ms > timestamp_ms:
        signatures.append(sign(previous_secret, msg_id=msg_id, timestamp=timestamp, body=body))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
