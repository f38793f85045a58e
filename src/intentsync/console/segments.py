"""Segments: list and create them, manage static members, build dynamic rules, export members."""

import dataclasses
import json
from collections import Counter
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from intentsync.console import segment_files, segment_form
from intentsync.console.labels import rule_field_label
from intentsync.console.routing import Access, ConsoleRouter, Page
from intentsync.db.engine import Database
from intentsync.kit.errors import AppError, BadRequest, Conflict
from intentsync.segments import service
from intentsync.segments.rules import OPERATOR_LABELS, FieldSpec
from intentsync.segments.schemas import SEGMENT_STATUSES, SEGMENT_TYPES

console = ConsoleRouter()

MEMBERS_PER_PAGE = 50
MAX_TEXTAREA = 2_000_000
RESULTS_SHOWN = 500
NOTICES = {
    "created": "Segment created.",
    "renamed": "Segment renamed.",
    "status": "Status changed.",
    "rules": "Rules saved; the members were refreshed.",
}
RULES_BANNER = "The rules have a problem; see below"
FILL_IN = "Fill in the value to see a count"
ENDS = ("added", "already a member", "removed", "not a member", "no account matches")


def _segment_id(page: Page) -> str:
    return page.path_param("segment_id")[:64]


@console.get("/segments", access=Access.MEMBER)
def segment_list(page: Page) -> Response:
    return _list(page)


def _list(page: Page, *, status: int = 200, error: str | None = None, **form: str) -> Response:
    return page.render(
        "segments.html",
        status=status,
        title="Segments",
        segments=service.overview(page.session, team_id=page.team_id),
        types=SEGMENT_TYPES,
        error=error,
        form={"name": "", "type": "static", **form},
    )


@console.post("/segments", access=Access.MEMBER)
def segment_create(page: Page) -> Response:
    name = page.text("name", max_length=255)
    type_ = page.text("type", "static", max_length=16)
    try:
        segment = service.create_segment(
            page.session, team_id=page.team_id, name=name, type_=type_, status="active"
        )
    except (BadRequest, Conflict) as exc:
        page.session.rollback()
        return _list(page, status=exc.status_code, error=exc.custom_message, name=name, type=type_)
    return page.redirect(f"/segments/{segment.segment_id}?notice=created")


def _fields(page: Page) -> list[FieldSpec]:
    """The rule catalogue, labelled as the rest of the console names things."""
    return [
        dataclasses.replace(spec, label=rule_field_label(spec))
        for spec in service.rule_fields(page.session, team_id=page.team_id)
    ]


def _detail(page: Page, *, status: int = 200, **extra: Any) -> Response:
    """The segment page; POST handlers pass what their action produced to show with it."""
    segment_id = _segment_id(page)
    segment = service.get_segment(page.session, team_id=page.team_id, segment_id=segment_id)
    after = page.number("after", 0, lo=0, hi=2**63 - 1) if page.form is None else 0
    members, next_after = service.members_page(
        page.session,
        team_id=page.team_id,
        segment_id=segment_id,
        after_id=after or 0,
        limit=MEMBERS_PER_PAGE,
    )
    count = service.member_count(page.session, team_id=page.team_id, segment_id=segment_id)
    context: dict[str, Any] = {
        "notice": NOTICES.get(page.query.get("notice", "")),
        "error": None,
        "results": None,
        "rules_error": None,
        "preview": None,
        "tree": None,
        "accounts_text": "",
        "rules_error_placed": False,
    }
    context.update(extra)
    fields = _fields(page) if segment.type == "dynamic" else []
    if segment.type == "dynamic" and context["tree"] is None:
        context["tree"] = segment_form.from_rules(segment.rules, fields)
    return page.render(
        "segment.html",
        status=status,
        title=f"Segment: {segment.name}",
        segment=segment,
        count=count,
        members=members,
        after=after,
        next_after=next_after,
        statuses=SEGMENT_STATUSES,
        fields=fields,
        catalogue=_catalogue_json(fields),
        operator_labels=OPERATOR_LABELS,
        rules_banner=RULES_BANNER,
        linkedin_warning=segment_files.linkedin_warning(count),
        **context,
    )


def _catalogue_json(fields: list[FieldSpec]) -> str:
    """What the page script needs to offer each field's operators and options."""
    return json.dumps(
        {
            "fields": {
                f.name: {"kind": f.kind_word, "operators": f.operators, "options": f.options}
                for f in fields
            },
            "labels": OPERATOR_LABELS,
        }
    )


@console.get("/segments/{segment_id}", access=Access.MEMBER)
def segment_page(page: Page) -> Response:
    return _detail(page)


def _refused(page: Page, exc: AppError, **extra: Any) -> Response:
    page.session.rollback()  # nothing half-done shows on the page drawn next
    segment_id = _segment_id(page)
    segment = service.get_segment(page.session, team_id=page.team_id, segment_id=segment_id)
    # The service names the segment by its id (for the CLI); the page names it as it shows it.
    message = exc.custom_message.replace(f"Segment '{segment_id}'", f"Segment '{segment.name}'")
    return _detail(page, status=exc.status_code, error=message, **extra)


@console.post("/segments/{segment_id}/rename", access=Access.MEMBER)
def segment_rename(page: Page) -> Response:
    segment_id = _segment_id(page)
    try:
        service.update_segment(
            page.session,
            team_id=page.team_id,
            segment_id=segment_id,
            name=page.text("name", max_length=255),
        )
    except (BadRequest, Conflict) as exc:
        return _refused(page, exc)
    return page.redirect(f"/segments/{segment_id}?notice=renamed")


@console.post("/segments/{segment_id}/status", access=Access.MEMBER)
def segment_status(page: Page) -> Response:
    segment_id = _segment_id(page)
    try:
        service.update_segment(
            page.session,
            team_id=page.team_id,
            segment_id=segment_id,
            status=page.text("status", max_length=16),
        )
    except (BadRequest, Conflict) as exc:
        return _refused(page, exc)
    return page.redirect(f"/segments/{segment_id}?notice=status")


def _results(
    changes: list[service.MemberChange], lines: dict[str, list[int]] | None = None
) -> dict[str, Any]:
    """Counts by outcome and the per-item table (bounded), with rows that matched nothing."""
    counts = Counter(change.outcome for change in changes)
    unmatched = [c.key for c in changes if c.outcome == "no account matches"]
    items = [
        {
            "key": c.key,
            "outcome": c.outcome,
            "account": c.account,
            "lines": (lines or {}).get(c.key),
        }
        for c in changes
    ]
    return {
        "counts": [(end, counts[end]) for end in ENDS if counts[end]],
        "items": items[:RESULTS_SHOWN],
        "hidden": max(0, len(items) - RESULTS_SHOWN),
        "unmatched": unmatched,
        "unmatched_lines": sorted(n for k in unmatched for n in (lines or {}).get(k, [])),
        "problems": [],
    }


def _remove(page: Page) -> bool:
    return page.text("action", "add", max_length=16) == "remove"


@console.post("/segments/{segment_id}/members", access=Access.MEMBER)
def segment_members(page: Page) -> Response:
    text = page.text("accounts", max_length=MAX_TEXTAREA)
    try:
        changes = service.change_members_itemized(
            page.session,
            team_id=page.team_id,
            segment_id=_segment_id(page),
            accounts=text.splitlines(),
            remove=_remove(page),
        )
    except BadRequest as exc:
        return _refused(page, exc, accounts_text=text)
    return _detail(page, results=_results(changes))


@console.post("/segments/{segment_id}/members/upload", access=Access.MEMBER)
def segment_upload(page: Page) -> Response:
    upload = page.upload("file")
    try:
        if upload is None:
            raise BadRequest("Choose a CSV file with an externalId or domain column to upload")
        name = upload.filename or "the file"
        parsed = segment_files.read_upload(upload.file.read(), name)
        if not parsed.rows:
            raise BadRequest(
                f"{name} has no rows with an externalId or a domain"
                + (f" ({'; '.join(parsed.problems[:5])})" if parsed.problems else "")
            )
        lines: dict[str, list[int]] = {}
        for row in parsed.rows:
            lines.setdefault(row.key, []).append(row.line)
        changes = service.change_members_itemized(
            page.session,
            team_id=page.team_id,
            segment_id=_segment_id(page),
            accounts=[row.key for row in parsed.rows],
            remove=_remove(page),
        )
    except BadRequest as exc:
        return _refused(page, exc)
    results = _results(changes, lines)
    results["problems"] = parsed.problems[:RESULTS_SHOWN]
    return _detail(page, results=results)


def _read_tree(page: Page) -> segment_form.Node:
    form = page.form
    names = list(form.keys()) if form is not None else []
    return segment_form.from_form(names, lambda name: page.text(name, max_length=20_000))


def _place(
    tree: segment_form.Node,
    message: str,
    fields: list[FieldSpec],
    within: segment_form.Node | None = None,
) -> segment_form.Node | None:
    """Put the service's message, in the page's words, on the node it names (found in within)."""
    named = segment_form.locate(within or tree, message)
    node = segment_form.find(tree, named.path) if named is not None else None
    if node is not None:
        node.error = segment_form.explain(node, message, fields)
    return node


@console.post("/segments/{segment_id}/rules", access=Access.MEMBER)
def segment_rules(page: Page) -> Response:
    segment_id = _segment_id(page)
    fields = _fields(page)
    by_name = {f.name: f for f in fields}
    action = page.text("action", "preview", max_length=64)
    tree = _read_tree(page)
    if action not in ("preview", "save"):
        try:
            tree = segment_form.apply(tree, action, fields)
        except BadRequest as exc:
            return _detail(page, status=400, tree=tree, rules_error=exc.custom_message)
        return _detail(page, tree=tree)
    doc = segment_form.to_rules(tree, by_name)
    try:
        if action == "save":
            service.update_segment(
                page.session, team_id=page.team_id, segment_id=segment_id, rules=doc
            )
            return page.redirect(f"/segments/{segment_id}?notice=rules#rules")
        preview = service.preview_rules(page.session, team_id=page.team_id, rules=doc)
    except BadRequest as exc:
        page.session.rollback()
        node = _place(tree, exc.custom_message, fields)
        return _detail(
            page,
            status=400,
            tree=tree,
            rules_error=node.error if node is not None else exc.custom_message,
            rules_error_placed=node is not None,
        )
    return _detail(page, tree=tree, preview=preview)


@console.post("/segments/{segment_id}/rules/preview", access=Access.MEMBER, writes=False)
def segment_rules_preview(page: Page) -> Response:
    """The live count the page script asks for while the rules are edited.

    Conditions whose value is still empty are left out of the check: an untouched condition
    is not a mistake yet, so the answer asks for its value instead of refusing it.
    """
    service.get_segment(page.session, team_id=page.team_id, segment_id=_segment_id(page))
    fields = _fields(page)
    by_name = {f.name: f for f in fields}
    try:
        tree = _read_tree(page)
    except BadRequest as exc:
        return JSONResponse({"count": None, "error": exc.custom_message, "path": None})
    filled = segment_form.without_blanks(tree)
    try:
        if filled is None:
            return JSONResponse({"count": None, "error": None, "note": FILL_IN})
        doc = segment_form.to_rules(filled, by_name)
        if segment_form.has_blanks(tree):
            service.check_rules(page.session, team_id=page.team_id, rules=doc)
            return JSONResponse({"count": None, "error": None, "note": FILL_IN})
        preview = service.preview_rules(page.session, team_id=page.team_id, rules=doc)
    except BadRequest as exc:
        # The preview itself worked: its answer is that these rules cannot be saved yet.
        node = _place(tree, exc.custom_message, fields, within=filled)
        return JSONResponse(
            {
                "count": None,
                "error": node.error if node is not None else exc.custom_message,
                "path": node.path if node is not None else None,
            }
        )
    return JSONResponse(
        {
            "count": preview.count,
            "error": None,
            "sample": [
                {"rtp_aid": row.rtp_aid, "name": row.name, "domain": row.domain}
                for row in preview.sample
            ],
        }
    )


def _export(page: Page, kind: str) -> Response:
    segment_id = _segment_id(page)
    segment = service.get_segment(page.session, team_id=page.team_id, segment_id=segment_id)
    db: Database = page.request.app.state.db
    name = segment_files.file_name(segment.name, kind)
    return StreamingResponse(
        segment_files.stream_export(db, team_id=page.team_id, segment_id=segment_id, kind=kind),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@console.get("/segments/{segment_id}/members.csv", access=Access.MEMBER)
def segment_export(page: Page) -> Response:
    return _export(page, "members")


@console.get("/segments/{segment_id}/linkedin.csv", access=Access.MEMBER)
def segment_linkedin_export(page: Page) -> Response:
    return _export(page, "linkedin")
