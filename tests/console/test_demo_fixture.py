"""The shared demo workspace signs in with the password the build printed."""

from tests.console.conftest import ConsoleClient


def test_the_demo_admin_sees_the_overview(demo_admin: ConsoleClient) -> None:
    page = demo_admin.get("/")
    assert page.status_code == 200
    assert "demo@example.com" in page.text
    assert "(admin)" in page.text
