"""Sign-in and sign-out pages."""

from starlette.responses import Response

from intentsync.auth.service import (
    SESSION_LIFETIME_MS,
    WRONG_CREDENTIALS,
    check_password,
    finish_sign_in,
    sign_out,
)
from intentsync.console.routing import (
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    Access,
    ConsoleRouter,
    Page,
    new_sign_in_token,
)
from intentsync.kit.errors import AppError, TooManyRequests, Unauthorized

console = ConsoleRouter()


def _safe_next(target: str) -> str:
    """Only a path on this site: an open redirect would hand a signed-in user to anyone."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _form(page: Page, *, status: int = 200, error: str = "", email: str = "") -> Response:
    token = new_sign_in_token()
    response = page.render(
        "sign_in.html",
        status=status,
        title="Sign in",
        csrf_token=token,
        next=_safe_next(page.text("next", "/")),
        error=error,
        notice="You are signed out." if page.query.get("signed_out") else "",
        email=email,
    )
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=page.request.url.scheme == "https",
        path="/sign-in",
    )
    return response


def _refused(page: Page, exc: AppError, email: str) -> Response:
    response = _form(page, status=exc.status_code, error=exc.custom_message, email=email)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


@console.get("/sign-in", access=Access.PUBLIC)
def sign_in_page(page: Page) -> Response:
    if page.viewer_or_none is not None:
        return page.redirect(_safe_next(page.text("next", "/")))
    return _form(page)


# Read-only: the password check (argon2, about 0.1 s) must not hold SQLite's one write lock.
@console.post("/sign-in", access=Access.PUBLIC, writes=False)
def sign_in_action(page: Page) -> Response:
    email = page.text("email", max_length=320)
    password = page.text("password", max_length=1024)
    address = page.request.client.host if page.request.client else "unknown"
    try:
        check = check_password(page.session, email=email, password=password, address=address)
    except TooManyRequests as exc:
        return _refused(page, exc, email)
    # The outcome is stored either way: a failure counts towards the throttle.
    with page.write_apart() as writing:
        outcome = finish_sign_in(writing, check)
    if outcome.refusal is not None or outcome.token is None:
        return _refused(page, outcome.refusal or Unauthorized(WRONG_CREDENTIALS), email)
    response = page.redirect(_safe_next(page.text("next", "/")))
    response.set_cookie(
        SESSION_COOKIE,
        outcome.token,
        max_age=SESSION_LIFETIME_MS // 1000,
        httponly=True,
        samesite="lax",
        secure=page.request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/sign-in")
    return response


@console.post("/sign-out", access=Access.MEMBER)
def sign_out_action(page: Page) -> Response:
    sign_out(page.session, page.request.cookies.get(SESSION_COOKIE))
    response = page.redirect("/sign-in?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
