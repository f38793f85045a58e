"""The overview: where a team's accounts stand and what moved."""

from starlette.responses import Response

from intentsync.console.routing import Access, ConsoleRouter, Page

console = ConsoleRouter()


@console.get("/", access=Access.MEMBER)
def overview(page: Page) -> Response:
    return page.render("overview.html", title="Overview")
