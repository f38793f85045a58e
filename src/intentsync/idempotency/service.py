"""The rules of Idempotency-Key: claim before the write runs, store its answer, replay it.

A key is the team's (two teams may use the same one) for 24 hours. The first request claims it
in a short transaction of its own; a success stores its answer in its own transaction, so the
change and the answer commit together; a final 4xx is stored after the rollback, so the same bad
request gets the same error; a 5xx, an exception or a transient conflict releases the claim, so a
retry runs again. A claim whose run died is taken over once its lease has passed.
"""

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from intentsync.idempotency import repository
from intentsync.kit.clock import DAY_MS
from intentsync.kit.errors import BadRequest, Conflict

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[!-~]{1,255}$"  # visible ASCII, no spaces
TTL_MS = DAY_MS
# A running claim older than this belongs to a run that died; a retry may take it over. A run
# that is merely slow then finds its claim gone and rolls back instead of committing twice.
LEASE_MS = 5 * 60_000
RETRY_AFTER_SECONDS = "1"
PURGE_EVERY_MS = 60_000

_KEY = re.compile(KEY_PATTERN)
_purge = threading.Lock()
_last_purge_ms = 0


@dataclass(frozen=True)
class Claim:
    """This run holds the team's key until it stores an answer or releases it."""

    team_id: int
    key: str
    token: str


@dataclass(frozen=True)
class Answer:
    """A stored response, replayed as it was first sent."""

    status_code: int
    content_type: str | None
    body: bytes


def checked_key(raw: str) -> str:
    """The header's value, or a 400 that says what a key may hold."""
    if not _KEY.match(raw):
        raise BadRequest(
            f"{KEY_HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters "
            "(no spaces), such as a UUID; send a new one for each distinct request"
        )
    return raw


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests the same one: method, path with query, and the exact body."""
    digest = hashlib.sha256(f"{method}\n{path}?{query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def claim(
    session: Session, *, team_id: int, key: str, fingerprint: str, now_ms: int
) -> Claim | Answer:
    """Claim the key for this run, or return the answer stored for the same request.

    The same key for a different request, or while its first run is still going, is a 409.
    """
    _purge_now_and_then(session, now_ms)
    token = secrets.token_hex(16)
    row = {
        "team_id": team_id,
        "key": key,
        "request_hash": fingerprint,
        "state": "running",
        "token": token,
        "lease_until_ms": now_ms + LEASE_MS,
        "status_code": None,
        "content_type": None,
        "body": None,
        "created_ms": now_ms,
        "expires_ms": now_ms + TTL_MS,
    }
    if repository.insert_claim(session, row):
        return Claim(team_id, key, token)
    found = repository.find(session, team_id=team_id, key=key)
    if found is None:  # deleted between the two statements: released or purged just now
        raise _still_running()
    expired = found.expires_ms <= now_ms
    stale = found.state == "running" and found.lease_until_ms <= now_ms
    if expired or stale:
        if repository.replace_claim(session, old_token=found.token, row=row):
            return Claim(team_id, key, token)
        raise _still_running()  # another retry took it over first
    if found.request_hash != fingerprint:
        raise Conflict(
            f"{KEY_HEADER} '{key}' was already used for a different request (method, path, "
            "query or body differ) in the last 24 hours; send a new key for a new request"
        )
    if found.state == "running":
        raise _still_running()
    return Answer(found.status_code, found.content_type, bytes(found.body or b""))


def store(session: Session, held: Claim, answer: Answer) -> bool:
    """Record the run's answer; False when its claim was taken over (then nothing may commit)."""
    return repository.finish_claim(
        session,
        team_id=held.team_id,
        key=held.key,
        token=held.token,
        values={
            "status_code": answer.status_code,
            "content_type": answer.content_type,
            "body": answer.body,
        },
    )


def release(session: Session, held: Claim) -> None:
    """Forget a claim whose run failed, so that a retry runs the request again."""
    repository.delete_claim(session, team_id=held.team_id, key=held.key, token=held.token)


def taken_over(held: Claim) -> Conflict:
    return Conflict(
        f"This request ran longer than {LEASE_MS // 60_000} minutes and a retry with "
        f"{KEY_HEADER} '{held.key}' took over; nothing was saved by this run",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _still_running() -> Conflict:
    return Conflict(
        f"A request with this {KEY_HEADER} is still running; retry after Retry-After seconds "
        "to get its answer",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _purge_now_and_then(session: Session, now_ms: int) -> None:
    """Delete expired keys at most once a minute per process; expired ones are ignored anyway."""
    global _last_purge_ms
    if now_ms - _last_purge_ms < PURGE_EVERY_MS or not _purge.acquire(blocking=False):
        return
    try:
        _last_purge_ms = now_ms
        repository.delete_expired(session, now_ms=now_ms)
    finally:
        _purge.release()
