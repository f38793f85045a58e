"""Team settings for admins: API keys, users and roles, tracking, IP ranges, scoring, stages."""

import re
from typing import Any

from starlette.responses import Response

from intentsync.auth import service as auth
from intentsync.console.labels import SOURCE_LABELS
from intentsync.console.routing import Access, ConsoleRouter, Page
from intentsync.ip_ranges import service as ip_ranges
from intentsync.journey import service as journey
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.errors import AppError, BadRequest
from intentsync.pipelines import service as pipelines
from intentsync.pipelines.schemas import CATEGORIES
from intentsync.scoring import service as scoring
from intentsync.scoring.config import SOURCES
from intentsync.teams import service as teams
from intentsync.tracking import service as tracking
from intentsync.tracking.patterns import UNMATCHED
from intentsync.tracking.snippet import html_snippet

console = ConsoleRouter()

MAX_ID = 2**31 - 1
MAX_BAD_LINES_SHOWN = 50
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
STALE_ISSUE_FORM = "This form is out of date; press Issue key again on this page."
SECTIONS = (
    ("/settings/keys", "API keys"),
    ("/settings/users", "Users and roles"),
    ("/settings/tracking", "Tracking"),
    ("/settings/ip-ranges", "IP ranges"),
    ("/settings/scoring", "Scoring"),
    ("/settings/stages", "Stages"),
)
NOTICES = {
    "revoked": "The key was revoked: the API refuses it from now on.",
    "role": "The role was changed.",
    "password-removed": "The password was removed: that user can no longer sign in here.",
    "write-key": "A new write key was issued: pages with the old one are no longer counted.",
    "category": "The stage's category was changed.",
    "stage-names": "The stage names were saved: every console page shows them now.",
}


def _render(page: Page, template: str, *, status: int = 200, **context: Any) -> Response:
    notice = NOTICES.get(page.query.get("done", ""), "")
    context.setdefault("error", "")
    context.setdefault("notice", notice)
    return page.render(template, status=status, sections=SECTIONS, **context)


def _user_id(page: Page) -> int:
    raw = page.path_param("user_id")
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise BadRequest(f"'{raw[:40]}' is not a user id")
    return int(raw)


@console.get("/settings", access=Access.ADMIN)
def settings_index(page: Page) -> Response:
    return _render(page, "settings_index.html", title="Settings")


# --- API keys --------------------------------------------------------------------------------


def _keys_page(page: Page, *, status: int = 200, **context: Any) -> Response:
    context.setdefault("new_key", None)
    context.setdefault("new_key_email", "")
    rows = auth.team_keys(page.session, team_id=page.team_id)
    # Each issue form carries a fresh one-time nonce, so resending it (F5) issues nothing.
    nonces = {row.user_id: auth.new_issue_nonce() for row in rows}
    return _render(
        page,
        "settings_keys.html",
        status=status,
        title="API keys",
        rows=rows,
        nonces=nonces,
        **context,
    )


@console.get("/settings/keys", access=Access.ADMIN)
def keys_page(page: Page) -> Response:
    return _keys_page(page)


@console.post("/settings/keys/{user_id}/issue", access=Access.ADMIN)
def issue_key(page: Page) -> Response:
    """The new key is in this response only: never in a redirect, a cookie or the database."""
    user_id = _user_id(page)
    nonce = page.text("nonce")
    if not NONCE.fullmatch(nonce):
        return _keys_page(page, status=400, error=STALE_ISSUE_FORM)
    try:
        email, key = auth.issue_key(
            page.session, team_id=page.team_id, user_id=user_id, nonce=nonce
        )
    except AppError as exc:  # a resent form: the key issued the first time stays active
        return _keys_page(page, status=exc.status_code, error=exc.custom_message)
    return _keys_page(page, new_key=key, new_key_email=email)


@console.post("/settings/keys/{user_id}/revoke", access=Access.ADMIN)
def revoke_key(page: Page) -> Response:
    auth.revoke_key(page.session, team_id=page.team_id, user_id=_user_id(page))
    return page.redirect("/settings/keys?done=revoked")


# --- users and roles -------------------------------------------------------------------------


def _users_page(page: Page, *, status: int = 200, **context: Any) -> Response:
    users = teams.team_users(page.session, team_id=page.team_id)
    context.setdefault("form", {"email": "", "role": teams.MEMBER})
    return _render(
        page,
        "settings_users.html",
        status=status,
        title="Users and roles",
        users=users,
        roles=teams.ROLES,
        **context,
    )


@console.get("/settings/users", access=Access.ADMIN)
def users_page(page: Page) -> Response:
    return _users_page(page)


@console.post("/settings/users", access=Access.ADMIN)
def create_user(page: Page) -> Response:
    email = page.text("email", max_length=320)
    role = page.text("role", teams.MEMBER, max_length=16)
    password = page.text("password", max_length=1024)
    form = {"email": email, "role": role}
    try:
        user = teams.create_user(page.session, team_id=page.team_id, email=email, role=role)
        if password:
            auth.set_password(page.session, email=user.email, password=password)
    except AppError as exc:  # shown above the form, which keeps what was typed
        page.session.rollback()  # the page drawn next shows nothing of this attempt
        return _users_page(page, status=exc.status_code, error=exc.custom_message, form=form)
    how = "can sign in with the password given" if password else "has no password yet"
    return _users_page(page, notice=f"{user.email} was added as {user.role} and {how}.")


@console.post("/settings/users/{user_id}/role", access=Access.ADMIN)
def change_role(page: Page) -> Response:
    role = page.text("role", max_length=16)
    try:
        teams.change_role(
            page.session,
            team_id=page.team_id,
            user_id=_user_id(page),
            role=role,
            by_user_id=page.viewer.user_id,
        )
    except AppError as exc:
        page.session.rollback()
        return _users_page(page, status=exc.status_code, error=exc.custom_message)
    return page.redirect("/settings/users?done=role")


@console.post("/settings/users/{user_id}/remove-password", access=Access.ADMIN)
def remove_password(page: Page) -> Response:
    try:
        auth.remove_password(
            page.session,
            team_id=page.team_id,
            user_id=_user_id(page),
            by_user_id=page.viewer.user_id,
        )
    except AppError as exc:
        page.session.rollback()
        return _users_page(page, status=exc.status_code, error=exc.custom_message)
    return page.redirect("/settings/users?done=password-removed")


# --- tracking --------------------------------------------------------------------------------


@console.get("/settings/tracking", access=Access.ADMIN)
def tracking_page(page: Page) -> Response:
    key = tracking.find_write_key(page.session, team_id=page.team_id)
    snippet = html_snippet(str(page.request.base_url), key) if key else ""
    patterns, custom = tracking.find_page_patterns(page.session, team_id=page.team_id)
    return _render(
        page,
        "settings_tracking.html",
        title="Tracking",
        write_key=key,
        snippet=snippet,
        patterns=patterns,
        custom=custom,
        unmatched=UNMATCHED,
    )


@console.post("/settings/tracking/key", access=Access.ADMIN)
def tracking_key(page: Page) -> Response:
    """Create the write key on first use, or rotate it when asked to."""
    if page.text("rotate") == "1":
        tracking.rotate_write_key(page.session, team_id=page.team_id)
        return page.redirect("/settings/tracking?done=write-key")
    tracking.ensure_write_key(page.session, team_id=page.team_id)
    return page.redirect("/settings/tracking")


# --- IP ranges -------------------------------------------------------------------------------


def _ranges_page(page: Page, *, status: int = 200, **context: Any) -> Response:
    context.setdefault("summary", "")
    context.setdefault("bad_lines", [])
    context.setdefault("more_bad", 0)
    count = ip_ranges.count_ranges(page.session, team_id=page.team_id)
    return _render(
        page, "settings_ip_ranges.html", status=status, title="IP ranges", count=count, **context
    )


@console.get("/settings/ip-ranges", access=Access.ADMIN)
def ranges_page(page: Page) -> Response:
    return _ranges_page(page)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@console.post("/settings/ip-ranges", access=Access.ADMIN)
def import_ranges(page: Page) -> Response:
    """Read the file as `intentsync ip-ranges import` does: same parser, same messages."""
    upload = page.upload("file")
    if upload is None:
        return _ranges_page(page, status=400, error="Choose a CSV file of IP ranges to upload.")
    try:
        result = ip_ranges.import_upload(
            page.session,
            team_id=page.team_id,
            raw=upload.file,
            name=upload.filename or "upload",
            keep_bad=MAX_BAD_LINES_SHOWN,
        )
    except AppError as exc:  # nothing of this file is kept: the whole upload rolls back
        page.session.rollback()
        return _ranges_page(
            page, status=exc.status_code, error=f"{exc.custom_message}. Nothing was imported."
        )
    counts = result.counts
    written = counts.added + counts.updated
    summary = (
        f"{_plural(written, 'range')} imported ({counts.added} new, {counts.updated} updated); "
        f"{counts.unchanged} already present; {_plural(result.bad_total, 'bad line')} skipped"
    )
    return _ranges_page(
        page,
        summary=summary,
        bad_lines=result.bad_lines,
        more_bad=result.bad_total - len(result.bad_lines),
    )


# --- scoring ---------------------------------------------------------------------------------


# Labels of the form's fields, for the service's messages that name a config path.
SETTING_LABELS = {
    **{f"weights.{s}": f"{label} weight" for s, label in SOURCE_LABELS.items()},
    **{f"enabled.{s}": f"{label} on/off switch" for s, label in SOURCE_LABELS.items()},
}
SETTING_PATH = re.compile(r"\b(?:weights|enabled)\.[a-z0-9_]+\b")
MAX_WEIGHT = 1000
# The journey thresholds in the scoring config (read-only here), as the stage rules use them.
AWARE, CONSIDERATION = JOURNEY_STAGES[1], JOURNEY_STAGES[2]
STAGE_THRESHOLDS = (
    ("consideration_overall", CONSIDERATION, "overall score at least", ""),
    ("consideration_sub_score", CONSIDERATION, "any enabled source's sub-score at least", ""),
    (
        "consideration_days",
        CONSIDERATION,
        "a strong signal (demo or pricing page view; G2 pricing, compare or competitor; "
        "inbound sales touch) within the last",
        "days",
    ),
    ("aware_overall", AWARE, "overall score at least", ""),
    ("aware_days", AWARE, "any signal or outbound sales touch within the last", "days"),
)


def _on_screen(message: str) -> str:
    """The service names config paths (weights.website); the form shows labels (Website weight)."""
    text = SETTING_PATH.sub(lambda m: SETTING_LABELS.get(m.group(0), m.group(0)), message)
    return text[:1].upper() + text[1:]


def _percent(part: int, whole: int) -> str:
    """To a tenth, half up in integers, exactly as settings.js shows it while typing."""
    tenths = (2000 * part + whole) // (2 * whole)
    whole_part, tenth = divmod(tenths, 10)
    return f"{whole_part}%" if tenth == 0 else f"{whole_part}.{tenth}%"


def _shares(values: dict[str, Any]) -> tuple[dict[str, str], str]:
    """Each source's share of the overall score (its weight over the enabled weights' sum)."""
    weights: dict[str, int] = {}
    for source in SOURCES:
        raw = str(values[f"weights.{source}"]).strip()
        if values[f"enabled.{source}"] and raw.isdigit() and int(raw) <= MAX_WEIGHT:
            weights[source] = int(raw)
    enabled = [s for s in SOURCES if values[f"enabled.{s}"]]
    unknown = {s: "—" if s in enabled else "off" for s in SOURCES}
    if len(weights) < len(enabled):  # a weight the form refuses: no share can be told
        return unknown, ""
    total = sum(weights.values())
    if total == 0:
        return unknown, "No enabled source has a weight above 0, so nothing would be scored."
    shares = {s: _percent(weights[s], total) if s in weights else "off" for s in SOURCES}
    return shares, f"The enabled sources' weights sum to {total}; each share is weight ÷ {total}."


def _scoring_page(page: Page, *, status: int = 200, **context: Any) -> Response:
    version, doc = scoring.current_document(page.session, team_id=page.team_id)
    history = scoring.config_history(page.session, team_id=page.team_id)
    context.setdefault("values", {})
    values = {
        **{f"weights.{s}": str(doc["weights"][s]) for s in SOURCES},
        **{f"enabled.{s}": bool(doc["enabled"][s]) for s in SOURCES},
        **context.pop("values"),
    }
    shares, share_note = _shares(values)
    thresholds = [
        (f"{page.stage_name(stage)}: {rule}", doc["stages"][key], unit, f"stages.{key}")
        for key, stage, rule, unit in STAGE_THRESHOLDS
    ]
    thresholds.append(
        (
            "Moving down (not for deal-driven stages): the lower stage must have held for",
            doc["stages"]["downgrade_days"],
            "days",
            "stages.downgrade_days",
        )
    )
    context.setdefault("diff", None)
    context.setdefault("diff_from", history[1].version if len(history) > 1 else version)
    context.setdefault("diff_to", version)
    return _render(
        page,
        "settings_scoring.html",
        status=status,
        title="Scoring",
        version=version,
        sources=SOURCES,
        max_weight=MAX_WEIGHT,
        values=values,
        shares=shares,
        share_note=share_note,
        thresholds=thresholds,
        history=history,
        **context,
    )


@console.get("/settings/scoring", access=Access.ADMIN)
def scoring_page(page: Page) -> Response:
    return _scoring_page(page)


@console.post("/settings/scoring", access=Access.ADMIN)
def save_scoring(page: Page) -> Response:
    """All weights and toggles of the form become one new version, checked by the service."""
    changes: dict[str, str] = {}
    for source in SOURCES:
        changes[f"weights.{source}"] = page.text(f"weights.{source}", max_length=40)
        changes[f"enabled.{source}"] = "true" if page.text(f"enabled.{source}") else "false"
    typed = {
        path: (raw == "true" if path.startswith("enabled.") else raw)
        for path, raw in changes.items()
    }
    try:
        version = scoring.change_settings(page.session, team_id=page.team_id, changes=changes)
    except AppError as exc:
        page.session.rollback()
        return _scoring_page(
            page, status=exc.status_code, error=_on_screen(exc.custom_message), values=typed
        )
    if version is None:
        return _scoring_page(page, notice="Nothing changed, so no new version was saved.")
    return _scoring_page(
        page, notice=f"Saved as version {version}; the next scoring run uses it for every account."
    )


@console.get("/settings/scoring/diff", access=Access.ADMIN)
def scoring_diff(page: Page) -> Response:
    old = page.number("from", lo=1, hi=MAX_ID)
    new = page.number("to", lo=1, hi=MAX_ID)
    if old is None or new is None:
        raise BadRequest("Choose two versions to compare")
    diff = scoring.config_diff(page.session, team_id=page.team_id, old=old, new=new)
    return _scoring_page(page, diff=diff, diff_from=old, diff_to=new)


# --- stages ----------------------------------------------------------------------------------


def _stages_page(page: Page, *, status: int = 200, **context: Any) -> Response:
    context.setdefault("name_values", page.stage_names)
    context.setdefault("name_errors", {})
    return _render(
        page,
        "settings_stages.html",
        status=status,
        title="Stages",
        journey=JOURNEY_STAGES,
        max_label=journey.MAX_LABEL,
        pipelines=pipelines.list_pipelines(page.session, team_id=page.team_id),
        categories=CATEGORIES,
        **context,
    )


@console.get("/settings/stages", access=Access.ADMIN)
def stages_page(page: Page) -> Response:
    return _stages_page(page)


@console.post("/settings/stages/category", access=Access.ADMIN)
def stage_category(page: Page) -> Response:
    category = page.text("category", max_length=16)
    if category not in CATEGORIES:
        return _stages_page(
            page, status=400, error=f"Category must be one of: {', '.join(CATEGORIES)}"
        )
    try:
        pipelines.set_stage_category(
            page.session,
            team_id=page.team_id,
            pipeline_id=page.text("pipeline_id", max_length=255),
            stage_id=page.text("stage_id", max_length=255),
            category=category,
        )
    except AppError as exc:
        page.session.rollback()
        return _stages_page(page, status=exc.status_code, error=exc.custom_message)
    return page.redirect("/settings/stages?done=category")


@console.post("/settings/stages/names", access=Access.ADMIN)
def stage_names(page: Page) -> Response:
    """Every `name.<stage>` field of the form; the service refuses a stage it does not know."""
    prefix = "name."
    fields = page.form.keys() if page.form is not None else []
    names = {f[len(prefix) :]: page.text(f) for f in fields if f.startswith(prefix)}
    try:
        journey.rename_stages(page.session, team_id=page.team_id, names=names)
    except journey.StageNamesInvalid as exc:  # shown next to each field, which keeps the text
        return _stages_page(
            page,
            status=exc.status_code,
            error="The stage names were not saved: correct the names marked below.",
            name_values={**page.stage_names, **names},
            name_errors=exc.problems,
        )
    return page.redirect("/settings/stages?done=stage-names")
