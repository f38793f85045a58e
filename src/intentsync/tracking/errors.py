"""Tracker refusals with statuses kit has no class for."""

from intentsync.kit.errors import AppError


class ForeignApiKey(AppError):
    """A valid API key of another team than the write key's: retrying the same call cannot help."""

    status_code = 403


class TooManyPageViews(AppError):
    """One address sent more beacons than the configured rate allows."""

    status_code = 429
