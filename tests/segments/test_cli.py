"""Segment commands: dynamic segments from a rules file, static members by externalId or domain."""

import json
import re

from tests.factories import account
from tests.test_cli import last_line, run_cli


def said(result):
    """stderr with Rich's line wrapping undone."""
    return " ".join(result.stderr.split())


def rules_file(tmp_path, doc, name="rules.json"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def segment_cli(database_url, ws, command, *args, check=True):
    return run_cli(database_url, "segment", command, "--team", str(ws.team_id), *args, check=check)


def segments_of(ws):
    rows = ws.get("/accounts", params={"limit": 1000}).json()["data"]["data"]
    return {row["externalId"]: [s["name"] for s in row["rtp_segments"]] for row in rows}


def test_dynamic_segment_from_a_rules_file(database_url, ws, tmp_path):
    ws.push(account(1, tags=["VIP"]), account(2))
    doc = {"or": [{"field": "tags", "operator": "contains", "value": "vip"}]}
    created = segment_cli(
        database_url,
        ws,
        "create",
        "--name",
        "VIPs",
        "--type",
        "dynamic",
        "--rules",
        rules_file(tmp_path, doc),
    )
    segment = last_line(created)
    assert re.fullmatch(r"[0-9a-f]{24}", segment)
    assert segments_of(ws) == {"crm-1": ["VIPs"], "crm-2": []}

    shown = segment_cli(database_url, ws, "show", "--segment", segment)
    assert json.loads(last_line(shown)) == doc
    assert "VIPs (dynamic, active)" in said(shown)

    wider = {"field": "domain", "operator": "contains", "value": "company"}
    updated = segment_cli(
        database_url,
        ws,
        "update",
        "--segment",
        segment,
        "--name",
        "Companies",
        "--rules",
        rules_file(tmp_path, wider, "wider.json"),
    )
    assert last_line(updated) == segment
    assert segments_of(ws) == {"crm-1": ["Companies"], "crm-2": ["Companies"]}

    ws.push(account(3))
    assert last_line(segment_cli(database_url, ws, "refresh")) == "1"
    assert last_line(segment_cli(database_url, ws, "refresh", "--segment", segment)) == "0"
    assert segments_of(ws)["crm-3"] == ["Companies"]

    listed = segment_cli(database_url, ws, "list")
    assert last_line(listed) == "1 segment(s)"
    assert segment in listed.stdout
    assert "Companies" in listed.stdout


def test_bad_rules_exit_1_with_the_reason_and_save_nothing(database_url, ws, tmp_path):
    def create(*args):
        return segment_cli(database_url, ws, "create", "--name", "Bad", *args, check=False)

    unknown = create(
        "--type",
        "dynamic",
        "--rules",
        rules_file(tmp_path, {"and": [{"field": "score", "operator": "gte", "value": 1}]}),
    )
    assert unknown.returncode == 1
    assert "rules.and[0].field: unknown field 'score'; fields are: account_score," in said(unknown)

    between = create(
        "--type",
        "dynamic",
        "--rules",
        rules_file(tmp_path, {"field": "account_score", "operator": "between", "value": [1]}),
    )
    assert between.returncode == 1
    assert "between takes a list of two values, low then high; got [1]" in said(between)

    broken = create(
        "--type", "dynamic", "--rules", rules_file(tmp_path, '{"and": [\n  {"a": 1,}]}')
    )
    assert broken.returncode == 1
    assert "is not valid JSON: Expecting property name enclosed in double quotes at line 2, " in (
        said(broken)
    )
    assert "column 11" in said(broken)

    huge = create(
        "--type",
        "dynamic",
        "--rules",
        rules_file(
            tmp_path, '{"field": "account_score", "operator": "gt", "value": 1' + "0" * 24 + "}"
        ),
    )
    assert huge.returncode == 1
    assert "'account_score' takes a finite number from -9,007,199,254,740,992" in said(huge)

    missing = create("--type", "dynamic")
    assert missing.returncode == 1
    assert "a dynamic segment needs --rules FILE.json" in said(missing)

    static = create(
        "--rules", rules_file(tmp_path, {"field": "name", "operator": "eq", "value": "x"})
    )
    assert static.returncode == 1
    assert "--rules applies only to dynamic segments" in said(static)

    absent = create("--type", "dynamic", "--rules", str(tmp_path / "nope.json"))
    assert absent.returncode == 1
    assert "cannot read rules file" in said(absent)

    assert last_line(segment_cli(database_url, ws, "list")) == "0 segment(s)"


def test_add_and_remove_static_members(database_url, ws):
    ws.push(account(1), account(2), account(3), account(4))
    segment = ws.segment(name="Q2")
    since = ws.get("/accounts").json()["data"]["syncTimestamp"]

    added = segment_cli(
        database_url,
        ws,
        "add",
        "--segment",
        segment,
        "crm-1",
        "company2.com",
        "https://www.company3.com/",
    )
    assert last_line(added) == "3"
    assert segments_of(ws) == {"crm-1": ["Q2"], "crm-2": ["Q2"], "crm-3": ["Q2"], "crm-4": []}
    delta = ws.get("/accounts", params={"lastSync": since}).json()["data"]
    assert [row["externalId"] for row in delta["data"]] == ["crm-1", "crm-2", "crm-3"]

    again = segment_cli(database_url, ws, "add", "--segment", segment, "crm-1", "crm-4")
    assert last_line(again) == "1"  # crm-1 was already a member

    since = ws.get("/accounts").json()["data"]["syncTimestamp"]
    removed = segment_cli(database_url, ws, "remove", "--segment", segment, "crm-2", "company3.com")
    assert last_line(removed) == "2"
    delta = ws.get("/accounts", params={"lastSync": since}).json()["data"]["data"]
    assert {row["externalId"]: row["rtp_segments"] for row in delta} == {"crm-2": [], "crm-3": []}

    unknown = segment_cli(
        database_url,
        ws,
        "remove",
        "--segment",
        segment,
        "crm-1",
        "ghost",
        "nobody.com",
        check=False,
    )
    assert unknown.returncode == 1
    assert "No account with externalId or domain: ghost, nobody.com" in said(unknown)
    assert segments_of(ws)["crm-1"] == ["Q2"]  # nothing changed


def test_members_of_dynamic_and_archived_segments_do_not_change_by_hand(database_url, ws, tmp_path):
    ws.push(account(1))
    rules = rules_file(tmp_path, {"field": "name", "operator": "contains", "value": "company"})
    dynamic = last_line(
        segment_cli(
            database_url, ws, "create", "--name", "Dyn", "--type", "dynamic", "--rules", rules
        )
    )
    refused = segment_cli(database_url, ws, "add", "--segment", dynamic, "crm-1", check=False)
    assert refused.returncode == 1
    assert f"Segment '{dynamic}' is a dynamic segment; its members come from its rules" in said(
        refused
    )

    archived = ws.segment(name="Old", status="archived")
    for command in ("add", "remove"):
        result = segment_cli(database_url, ws, command, "--segment", archived, "crm-1", check=False)
        assert result.returncode == 1
        assert f"Segment '{archived}' is archived; its members cannot change" in said(result)

    static = ws.segment(name="Static")
    with_rules = segment_cli(
        database_url, ws, "update", "--segment", static, "--rules", rules, check=False
    )
    assert with_rules.returncode == 1
    assert "rules apply only to dynamic segments" in said(with_rules)

    missing = segment_cli(database_url, ws, "add", "--segment", "0" * 24, "crm-1", check=False)
    assert missing.returncode == 1
    assert "does not exist" in said(missing)

    no_team = run_cli(
        database_url,
        "segment",
        "update",
        "--team",
        "999999",
        "--segment",
        static,
        "--name",
        "x",
        check=False,
    )
    assert no_team.returncode == 1
    assert "No team with id 999999" in said(no_team)


def test_segment_list_never_shortens_an_id_on_a_narrow_terminal(database_url, ws, monkeypatch):
    segment = ws.segment(name="A segment with a rather long name that has to wrap somewhere")
    monkeypatch.setenv("COLUMNS", "50")
    listed = segment_cli(database_url, ws, "list")
    assert re.search(rf"\b{segment}\b", listed.stdout), listed.stdout


def test_a_name_another_segment_has_is_refused(database_url, ws):
    ws.segment(name="Event invitees")
    again = segment_cli(database_url, ws, "create", "--name", "event invitees ", check=False)
    assert again.returncode == 1
    assert "A segment named 'Event invitees' already exists" in said(again)
    other = last_line(segment_cli(database_url, ws, "create", "--name", "Partners"))
    renamed = segment_cli(
        database_url, ws, "update", "--segment", other, "--name", "EVENT INVITEES", check=False
    )
    assert renamed.returncode == 1
    assert "A segment named 'Event invitees' already exists" in said(renamed)
    assert sorted(s[1] for s in ws_summaries(ws)) == ["Event invitees", "Partners"]


def ws_summaries(ws):
    from intentsync.segments.service import summaries

    with ws.db.transaction() as session:
        return summaries(session, team_id=ws.team_id)
