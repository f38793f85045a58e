"""SQL the importers need: finding a report's companies among a team's accounts in bulk."""

from collections.abc import Collection

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from intentsync.db.models import Account

# SQLite refuses expressions nested deeper than 1,000; each OR adds a level.
_PATTERNS_PER_QUERY = 200


def linkedin_urls_like(
    session: Session, *, team_id: int, fragments: Collection[str]
) -> list[tuple[str, str]]:
    """(domain, linkedin_url) of accounts whose LinkedIn URL contains one of the fragments.

    Stored URLs are kept as pushed, so this is a coarse filter the caller refines.
    """
    wanted = sorted(fragments)
    found: list[tuple[str, str]] = []
    for start in range(0, len(wanted), _PATTERNS_PER_QUERY):
        group = wanted[start : start + _PATTERNS_PER_QUERY]
        url = func.lower(Account.linkedin_url)
        rows = session.execute(
            select(Account.domain, Account.linkedin_url).where(
                Account.team_id == team_id,
                Account.linkedin_url.is_not(None),
                or_(*(url.contains(fragment, autoescape=True) for fragment in group)),
            )
        )
        found.extend((domain, linkedin_url or "") for domain, linkedin_url in rows)
    return found


def existing_domains(session: Session, *, team_id: int, domains: Collection[str]) -> set[str]:
    if not domains:
        return set()
    rows = session.execute(
        select(Account.domain).where(Account.team_id == team_id, Account.domain.in_(list(domains)))
    )
    return {row[0] for row in rows}


def accounts_named(
    session: Session, *, team_id: int, lowered_names: Collection[str]
) -> list[tuple[str, str]]:
    """(domain, name) of accounts whose trimmed, lower-cased name is one of the given."""
    if not lowered_names:
        return []
    rows = session.execute(
        select(Account.domain, Account.name).where(
            Account.team_id == team_id,
            func.lower(func.trim(Account.name)).in_(list(lowered_names)),
        )
    )
    return [(domain, name) for domain, name in rows]
