import pytest

from intentsync.kit.domains import clean_domain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/foo", "acme.com"),
        ("acme.com", "acme.com"),
        ("www.acme.com", "acme.com"),
        ("http://acme.com", "acme.com"),
        ("HTTPS://WWW.ACME.COM", "acme.com"),
        ("acme.com:8443", "acme.com"),
        ("https://acme.com:443/path?q=1#top", "acme.com"),
        ("acme.com?utm=1", "acme.com"),
        ("acme.com#x", "acme.com"),
        ("  acme.com  ", "acme.com"),
        ("acme.com.", "acme.com"),
        ("//acme.com/x", "acme.com"),
        ("https://user:pw@acme.com/", "acme.com"),
        ("app.acme.co.uk", "app.acme.co.uk"),
        ("www.app.acme.com", "app.acme.com"),
        ("wwwacme.com", "wwwacme.com"),
        ("münchen.de", "münchen.de"),
    ],
)
def test_clean_domain_reduces_to_bare_host(raw, expected):
    assert clean_domain(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "https://",
        "www.",
        "acme",
        "localhost",
        "http:///path",
        "acme..com",
        "ac me.com",
        "-acme.com",
        "a" * 300,
    ],
)
def test_clean_domain_returns_empty_when_nothing_usable_is_left(raw):
    assert clean_domain(raw) == ""
