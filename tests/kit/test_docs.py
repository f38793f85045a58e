"""/docs and /redoc load every asset from this server, so they work without internet."""

import re

import pytest
from fastapi.testclient import TestClient

REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")
EXPECTED_TYPES = {
    ".js": "javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
}


@pytest.mark.parametrize(
    ("page", "needs"),
    [
        ("/docs", {".js", ".css", ".png", ".json"}),
        ("/redoc", {".js", ".png", ".json"}),
    ],
)
def test_every_asset_a_docs_page_loads_is_served_here(app, page, needs):
    client = TestClient(app)
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert re.search(r"https?://", html) is None, "no asset may come from another host"
    urls = {a or b for a, b in REFERENCE.findall(html)}
    seen = set()
    for url in sorted(urls):
        assert url.startswith("/"), url
        suffix = "." + url.rsplit(".", 1)[-1]
        seen.add(suffix)
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert EXPECTED_TYPES[suffix] in asset.headers["content-type"], (url, asset.headers)
        assert len(asset.content) > 1000, url
    assert seen == needs


def test_an_unknown_asset_is_a_404_envelope(app):
    response = TestClient(app).get("/docs/assets/nope.js")
    assert response.status_code == 404
    assert response.json()["customMessage"] == "Cannot GET /docs/assets/nope.js"
