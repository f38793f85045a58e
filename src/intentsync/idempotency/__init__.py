"""Idempotency-Key: a write's first answer, stored per team and replayed to its retries."""
