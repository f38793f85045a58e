"""Show what the API costs on activity ingest: activities/s pushed live vs a raw Core insert."""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from _harness import (
    ACCOUNTS_TABLE,
    CRM,
    Batches,
    Bench,
    BenchError,
    add_common_arguments,
    bench_main,
    chunked,
    core_insert,
    make_team,
    payloads,
    print_table,
    push_accounts,
    push_batches,
    rate,
    service_row,
)
from sqlalchemy import Table, func, insert, select

from intentsync.db.engine import Database
from intentsync.db.models import ActivityContact, Contact, SalesActivity
from intentsync.kit.clock import now_ms, parse_iso8601, to_ms
from intentsync.kit.domains import clean_domain

ACTIVITY_BATCH = 50  # the endpoint's maximum
ACTS = cast(Table, SalesActivity.__table__)
CONTACTS = cast(Table, Contact.__table__)
LINKS = cast(Table, ActivityContact.__table__)
SPAN_DAYS = 90
OWNERS = 25
CALL_SHARE = 0.45
WWW_SHARE = 0.1
OUTCOMES = ("connected", "left voicemail", "no answer", "meeting booked", "wrong number")
TITLES = ("VP Sales", "Head of Marketing", "CTO", "RevOps Manager", "Account Executive", None)
SUBJECTS = ("Quick question", "Following up", "Pricing", "Intro", "Next steps", "Case study")
DIRECTIONS = ("outbound", "outbound", "outbound", "inbound")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Create accounts, then push sales activities through POST "
            f"{CRM}/sales-activities on a live server in batches of {ACTIVITY_BATCH} and compare "
            "with a Core insert of the same activity, contact and link rows in transactions of "
            f"{ACTIVITY_BATCH} activities."
        )
    )
    add_common_arguments(
        parser, accounts=2_000, accounts_help="accounts created first; activities link to them"
    )
    parser.add_argument(
        "--activities", type=int, default=50_000, help="activities to push (default 50000)"
    )
    parser.add_argument(
        "--contacts", type=int, default=5_000, help="contact email pool (default 5000)"
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated activities")
    args = parser.parse_args(argv)
    if min(args.accounts, args.activities, args.contacts, args.clients) < 1:
        parser.error("--accounts, --activities, --contacts and --clients must be positive")
    if args.contacts < args.accounts:
        parser.error("--contacts must be at least --accounts (each account has a contact)")
    return args


@dataclass(frozen=True)
class Workload:
    """The generated wire payloads and what the database must hold after they are stored."""

    domains: list[str]
    contacts: dict[str, dict[str, Any]]
    activities: list[dict[str, Any]]
    links: int


def contact_payload(j: int, domain: str) -> dict[str, Any]:
    """Contact j of the pool; the same details every time, so upserts rewrite equal values."""
    contact: dict[str, Any] = {"email": f"person-{j:05d}@{domain}", "name": f"Person {j}"}
    title = TITLES[j % len(TITLES)]
    if title is not None:
        contact["title"] = title
    if j % 3 == 0:
        contact["externalContactId"] = f"crm-contact-{j:05d}"
    return contact


def workload(args: argparse.Namespace) -> Workload:
    """Activities over accounts and a contact pool: contact j works at account j % accounts."""
    rng = random.Random(args.seed)
    domains = [p["domain"] for p in payloads(args.accounts)]
    staff: list[list[dict[str, Any]]] = [[] for _ in domains]
    for j in range(args.contacts):
        staff[j % args.accounts].append(contact_payload(j, domains[j % args.accounts]))
    end = datetime.now(UTC).replace(microsecond=0)
    span = SPAN_DAYS * 86_400
    activities: list[dict[str, Any]] = []
    used: dict[str, dict[str, Any]] = {}
    links = 0
    for i in range(args.activities):
        a = rng.randrange(args.accounts)
        people = rng.sample(staff[a], min(len(staff[a]), rng.choice((1, 1, 2))))
        for person in people:
            used[person["email"]] = person
        links += len(people)
        occurred = end - timedelta(seconds=rng.randrange(span))
        owner = rng.randrange(OWNERS)
        domain = domains[a]
        item: dict[str, Any] = {
            "externalActivityId": f"act-{i:07d}",
            "occurredAt": occurred.isoformat().replace("+00:00", "Z"),
            "domain": f"https://www.{domain}/" if rng.random() < WWW_SHARE else domain,
            "accountName": f"Bench Account {a}",
            "ownerEmail": f"rep-{owner:02d}@seller.example.com",
            "ownerName": f"Rep {owner}",
            "direction": rng.choice(DIRECTIONS),
            "contacts": people,
        }
        if rng.random() < CALL_SHARE:
            item["activityType"] = "call"
            item["callTitle"] = f"Call with {people[0]['name']}"
            item["durationMinutes"] = round(rng.uniform(0.5, 60.0), 1)
            item["outcome"] = rng.choice(OUTCOMES)
        else:
            item["activityType"] = "email"
            item["subject"] = f"{rng.choice(SUBJECTS)} #{i}"
            item["openCount"] = rng.choice((0, 0, 1, 2, 3, 5))
            item["clickCount"] = rng.choice((0, 0, 0, 1, 2))
        activities.append(item)
    return Workload(domains=domains, contacts=used, activities=activities, links=links)


def activity_row(
    item: dict[str, Any], *, team_id: int, account_id: int | None, stamp: int
) -> dict[str, Any]:
    """The row activities.service._row builds for a new activity, from the wire payload."""
    occurred = parse_iso8601(item["occurredAt"])
    if occurred is None:
        raise BenchError(f"generated a bad occurredAt: {item['occurredAt']}")
    is_call = item["activityType"] == "call"
    sender = item.get("from") or {}
    return {
        "team_id": team_id,
        "external_activity_id": item["externalActivityId"],
        "activity_type": item["activityType"],
        "occurred_at": item["occurredAt"],
        "occurred_ms": to_ms(occurred),
        "domain": clean_domain(item["domain"]),
        "account_id": account_id,
        "account_name": item.get("accountName"),
        "owner_email": item["ownerEmail"],
        "owner_name": item.get("ownerName"),
        "owner_id": item.get("ownerId"),
        "subject": item.get("subject"),
        "from_name": sender.get("name"),
        "from_email": sender.get("email"),
        "call_title": item.get("callTitle") if is_call else None,
        "duration_minutes": item.get("durationMinutes") if is_call else None,
        "outcome": item.get("outcome") if is_call else None,
        "direction": item.get("direction"),
        "open_count": None if is_call else item.get("openCount"),
        "click_count": None if is_call else item.get("clickCount"),
        "created_ms": stamp,
        "changed_ms": stamp,
    }


def contact_row(contact: dict[str, Any], *, team_id: int, stamp: int) -> dict[str, Any]:
    """The row activities.service upserts for a contact sent with an activity."""
    return {
        "team_id": team_id,
        "email": contact["email"].strip().lower(),
        "external_contact_id": contact.get("externalContactId"),
        "name": contact.get("name"),
        "title": contact.get("title"),
        "department": contact.get("department"),
        "seniority": contact.get("seniority"),
        "phone": contact.get("phone"),
        "linkedin_url": contact.get("linkedinUrl"),
        "changed_ms": stamp,
    }


def check_row_shape() -> None:
    """Fail early if the table gained a column the baseline rows would silently leave out."""
    columns = {c.name for c in ACTS.columns} - {"id"}
    sample = activity_row(
        {
            "externalActivityId": "x",
            "activityType": "call",
            "occurredAt": "2026-01-01T00:00:00Z",
            "domain": "a.example.com",
            "ownerEmail": "o@example.com",
        },
        team_id=1,
        account_id=None,
        stamp=0,
    )
    if set(sample) != columns:
        raise BenchError(f"baseline row keys differ from sales_activities: {set(sample) ^ columns}")


def account_ids(db: Database, team_id: int) -> dict[str, int]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(ACCOUNTS_TABLE.c.domain, ACCOUNTS_TABLE.c.id).where(
                ACCOUNTS_TABLE.c.team_id == team_id
            )
        )
        return {row[0]: row[1] for row in rows}


def baseline(url: str, work: Workload, team_id: int) -> float:
    """Accounts untimed; then timed: contacts once, then activities + links per 50-row tx."""
    core_insert(
        url,
        [[service_row(p, team_id=team_id, stamp=now_ms()) for p in payloads(len(work.domains))]],
    )
    db = Database(url, pool_size=1)
    try:
        by_domain = account_ids(db, team_id)
        chunks: list[list[dict[str, Any]]] = []
        for chunk in chunked(work.activities, ACTIVITY_BATCH):
            stamp = now_ms()
            chunks.append(
                [
                    activity_row(
                        item,
                        team_id=team_id,
                        account_id=by_domain[clean_domain(item["domain"])],
                        stamp=stamp,
                    )
                    for item in chunk
                ]
            )
        contact_rows = [
            contact_row(c, team_id=team_id, stamp=now_ms()) for c in work.contacts.values()
        ]
        emails = [
            [c["email"].strip().lower() for c in item["contacts"]] for item in work.activities
        ]
        insert_acts = ACTS.insert().returning(ACTS.c.id, sort_by_parameter_order=True)
        insert_links = insert(LINKS)
        started = time.perf_counter()
        with db.transaction() as session:
            session.execute(insert(CONTACTS), contact_rows)
            found = session.execute(
                select(CONTACTS.c.email, CONTACTS.c.id).where(CONTACTS.c.team_id == team_id)
            )
            contact_ids = {row[0]: row[1] for row in found}
        done = 0
        for rows in chunks:
            with db.transaction() as session:
                pks = [r[0] for r in session.execute(insert_acts, rows).all()]
                session.execute(
                    insert_links,
                    [
                        {"activity_pk": pk, "contact_pk": contact_ids[email], "team_id": team_id}
                        for pk, people in zip(pks, emails[done : done + len(rows)], strict=True)
                        for email in people
                    ],
                )
            done += len(rows)
        return time.perf_counter() - started
    finally:
        db.dispose()


@dataclass(frozen=True)
class Stored:
    """What one team holds after a load."""

    activities: int
    unlinked: int
    contacts: int
    links: int


def stored(url: str, team_id: int) -> Stored:
    db = Database(url, pool_size=1)
    try:
        with db.transaction(write=False) as session:

            def count(table: Table, *where: Any) -> int:
                query = select(func.count()).select_from(table).where(table.c.team_id == team_id)
                return int(session.scalar(query.where(*where)) or 0)

            return Stored(
                activities=count(ACTS),
                unlinked=count(ACTS, ACTS.c.account_id.is_(None)),
                contacts=count(CONTACTS),
                links=count(LINKS),
            )
    finally:
        db.dispose()


def check_stored(label: str, got: Stored, work: Workload) -> None:
    want = Stored(
        activities=len(work.activities), unlinked=0, contacts=len(work.contacts), links=work.links
    )
    if got != want:
        raise BenchError(f"{label} stored {got}, expected {want}")


def compare_contents(url: str, team_id: int, work: Workload) -> None:
    """Check the server stored every activity field as the baseline rows have it."""
    skip = {"id", "team_id", "account_id", "created_ms", "changed_ms"}
    columns = [c for c in ACTS.columns if c.name not in skip]
    expected = {
        item["externalActivityId"]: activity_row(item, team_id=team_id, account_id=None, stamp=0)
        for item in work.activities
    }
    db = Database(url, pool_size=1)
    try:
        with db.transaction(write=False) as session:
            rows = session.execute(select(*columns).where(ACTS.c.team_id == team_id))
            for row in rows:
                got = row._asdict()
                want = expected.pop(got["external_activity_id"], None)
                if want is None:
                    raise BenchError(f"unexpected activity {got['external_activity_id']}")
                diff = {k: (v, want[k]) for k, v in got.items() if v != want[k]}
                if diff:
                    raise BenchError(f"{got['external_activity_id']} stored as (got, sent): {diff}")
    finally:
        db.dispose()
    if expected:
        raise BenchError(f"{len(expected)} activities missing")


def run(args: argparse.Namespace) -> None:
    """Run every measurement and print the figures."""
    check_row_shape()
    work = workload(args)
    spec = Batches(
        path=f"{CRM}/sales-activities",
        list_key="activities",
        id_key="externalActivityId",
        size=ACTIVITY_BATCH,
    )
    with Bench(args) as bench:
        main_url = bench.main_url()
        ws = bench.provision(main_url, "bench activities")
        with bench.server(ws) as server:
            print(f"creating {args.accounts:,} accounts through the API ...", flush=True)
            account_seconds = push_accounts(
                server, payloads(args.accounts), clients=args.clients, deadline=bench.deadline
            )
            print(
                f"pushing {args.activities:,} activities from {args.clients} clients ...",
                flush=True,
            )
            api_seconds = push_batches(
                server, spec, work.activities, clients=args.clients, deadline=bench.deadline
            )
        check_stored("server", stored(main_url, ws.team_id), work)
        compare_contents(main_url, ws.team_id, work)

        print(f"baseline: Core insert, transactions of {ACTIVITY_BATCH} activities ...", flush=True)
        bench.deadline.check("baseline")
        base_url = bench.fresh("baseline")
        base_team = make_team(base_url, "bench activities baseline")
        base_seconds = baseline(base_url, work, base_team)
        check_stored("baseline", stored(base_url, base_team), work)
        backend = bench.describe()

    calls = sum(1 for a in work.activities if a["activityType"] == "call")
    api_rate = args.activities / api_seconds
    base_rate = args.activities / base_seconds
    print_table(
        "ingest_activities results",
        [
            ("backend", backend),
            ("activities", f"{args.activities:,} in batches of {ACTIVITY_BATCH}"),
            ("  calls / emails", f"{calls:,} / {args.activities - calls:,}"),
            ("  occurredAt span", f"{SPAN_DAYS} days"),
            ("accounts (created first via API)", f"{args.accounts:,}"),
            ("contacts used / links", f"{len(work.contacts):,} / {work.links:,}"),
            ("clients", str(args.clients)),
            ("accounts via API (info)", f"{account_seconds:.2f} s"),
            ("API wall time", f"{api_seconds:.2f} s"),
            ("API activities/s", rate(args.activities, api_seconds)),
            ("baseline wall time", f"{base_seconds:.2f} s"),
            (f"baseline rows/s (tx of {ACTIVITY_BATCH})", rate(args.activities, base_seconds)),
            ("ratio API / baseline", f"{api_rate / base_rate:.2f}"),
        ],
    )
    print(
        "baseline note: the unique contacts are a plain insert once up front (one timed tx), "
        "not upserted per batch;\n"
        f"  each tx then inserts {ACTIVITY_BATCH} activities (RETURNING id) and their link rows."
    )


if __name__ == "__main__":
    sys.exit(bench_main(parse_args, run))
