"""Signatures verify with the Standard Webhooks library, with either secret during a rotation."""

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from intentsync.webhooks.signing import new_secret, sign, signature_headers

BODY = b'{"id":"msg_1","type":"scoring.run_completed","data":{}}'


def headers_now(secret, **extra):
    return signature_headers(
        secret=secret, msg_id="msg_1", timestamp_ms=time.time_ns() // 1_000_000, body=BODY, **extra
    )


def test_a_new_secret_is_whsec_and_32_random_bytes():
    one, two = new_secret(), new_secret()
    assert one.startswith("whsec_")
    assert one != two
    assert len(base64.b64decode(one.removeprefix("whsec_"))) == 32


def test_the_library_verifies_a_signed_body_and_refuses_a_tampered_one():
    secret = new_secret()
    headers = headers_now(secret)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers)["id"] == "msg_1"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"msg_1", b"msg_2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_an_old_timestamp_fails():
    secret = new_secret()
    old = signature_headers(
        secret=secret,
        msg_id="msg_1",
        timestamp_ms=(time.time_ns() // 1_000_000) - 10 * 60_000,
        body=BODY,
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, old)


def test_during_a_rotation_either_secret_verifies_and_after_it_only_the_new_one():
    new, old = new_secret(), new_secret()
    now = time.time_ns() // 1_000_000
    rotating = headers_now(new, previous_secret=old, previous_secret_until_ms=now + 60_000)
    assert len(rotating["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(BODY, rotating)
    Webhook(old).verify(BODY, rotating)
    expired = headers_now(new, previous_secret=old, previous_secret_until_ms=now - 1)
    assert len(expired["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(BODY, expired)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(BODY, expired)


def test_the_signature_matches_the_specs_example():
    # The example of the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert (
        sign(secret, msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_retry_after_reads_seconds_and_dates_within_bounds():
    from intentsync.webhooks.delivery import parse_retry_after

    now = 1_700_000_000_000
    assert parse_retry_after("30", now) == 30_000
    assert parse_retry_after(" 0 ", now) == 1000  # never at once
    assert parse_retry_after("999999", now) == 3600_000  # at most an hour
    assert parse_retry_after("Tue, 14 Nov 2023 22:12:20 GMT", now) == 1000  # a date passed
    assert parse_retry_after("Tue, 14 Nov 2023 22:22:20 GMT", now) == 540_000
    assert parse_retry_after("soon", now) is None  # the schedule applies
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None
