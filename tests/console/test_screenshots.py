"""`make screenshots` works: every page of the demo renders in Chromium and is saved as a PNG."""

from pathlib import Path

from playwright.sync_api import Browser

from tests.console.screenshots import take

PNG = b"\x89PNG\r\n\x1a\n"


def test_every_console_page_is_captured(tmp_path: Path, browser: Browser) -> None:
    written = take(tmp_path, browser)
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "sign-in.png",
            "overview.png",
            "accounts.png",
            "account.png",
            "segments.png",
            "segment.png",
            "segment-rules.png",
            "imports.png",
            "import.png",
            "settings.png",
            "overview-375.png",
        ]
    )
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG)
        assert len(data) > 5_000, f"{path.name} looks empty"
