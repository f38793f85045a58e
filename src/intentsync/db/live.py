"""The condition every read of accounts carries: an archived account is in no list.

Accounts are archived, not deleted (a push restores them with their links), so the rows stay
in the table. Every statement that reads accounts for display, membership or scoring adds
LIVE_ACCOUNT; tests/accounts/test_archived_everywhere.py walks every GET route with an
archived account present and fails on any SELECT of the accounts table that does not name
deleted_ms, so a new query that forgets it fails before it ships.
"""

from typing import Any

from sqlalchemy import ColumnElement, and_

from intentsync.db.models import Account

LIVE_ACCOUNT: ColumnElement[bool] = Account.deleted_ms.is_(None)
ARCHIVED_ACCOUNT: ColumnElement[bool] = Account.deleted_ms.is_not(None)


def live_account(account_id: Any) -> ColumnElement[bool]:
    """A join condition to a live account: the row's account shows only while it is live."""
    return and_(Account.id == account_id, LIVE_ACCOUNT)
