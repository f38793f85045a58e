"""A database of the test's own, for numbers summed over every team (lag, backlog, revision)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from intentsync.db.migrate import upgrade
from tests.conftest import _postgres_database


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Makes an empty database of the session's backend, migrated to the given revision."""
    made: list[Iterator[str]] = []

    def make(revision: str = "head") -> str:
        if backend_of(database_url) == "sqlite":
            url = f"sqlite:///{tmp_path / f'fresh-{len(made)}.db'}"
            made.append(iter(()))
        else:
            databases = _postgres_database()
            url = next(databases)
            made.append(databases)
        if revision:
            upgrade(url, revision)
        return url

    yield make
    for databases in made:
        for _ in databases:  # drops the PostgreSQL database
            pass


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """(labels, value) of every sample called name in a scrape."""
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def value(text: str, name: str, **labels: str) -> float:
    """The one sample of name with these labels (0 when the series does not exist yet)."""
    found = [
        v for have, v in samples(text, name) if all(have.get(k) == w for k, w in labels.items())
    ]
    assert len(found) <= 1, f"{name} {labels}: {found}"
    return found[0] if found else 0.0
