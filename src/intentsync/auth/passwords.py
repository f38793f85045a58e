"""Console passwords: argon2id hashes through argon2-cffi, and the rules a password must meet."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from intentsync.kit.errors import BadRequest

MIN_LENGTH = 12
MAX_LENGTH = 1024

# argon2-cffi's defaults are RFC 9106's low-memory profile for argon2id.
_HASHER = PasswordHasher()
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DECOY = _HASHER.hash("intentsync-decoy-password")


def check_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise BadRequest(f"The password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise BadRequest(f"The password must have at most {MAX_LENGTH} characters")
    if not password.strip():
        raise BadRequest("The password must not be only spaces")


def hash_password(password: str) -> str:
    check_rules(password)
    return _HASHER.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """True only for the right password; a user without one never matches."""
    try:
        return _HASHER.verify(password_hash or _DECOY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
