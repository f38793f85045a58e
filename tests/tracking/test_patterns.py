"""Page categories from URL paths and the write-key format, with exact values."""

import re

import pytest

from intentsync.tracking.keys import new_write_key, write_key_from_bytes
from intentsync.tracking.patterns import (
    DEFAULT_PATTERNS,
    PatternError,
    categorize,
    check_patterns,
    url_path,
)


@pytest.mark.parametrize(
    ("url", "category"),
    [
        ("https://acme.com/careers/product-manager", "ignored"),
        ("https://acme.com/jobs", "ignored"),
        ("https://acme.com/login?next=/pricing", "ignored"),
        ("https://acme.com/sign-in", "ignored"),
        ("https://acme.com/signin", "ignored"),
        ("https://acme.com/logout", "ignored"),
        ("https://acme.com/email/unsubscribe", "ignored"),
        ("https://acme.com/account/settings/billing", "ignored"),
        ("https://acme.com/demo", "demo"),
        ("https://acme.com/request-demo", "demo"),
        ("https://acme.com/en/book-a-demo/", "demo"),
        ("https://acme.com/contact-sales", "demo"),
        ("https://acme.com/contact-us", "demo"),
        ("https://acme.com/contact", "demo"),
        ("https://acme.com/free-trial", "demo"),
        ("https://acme.com/start-a-free-trial", "demo"),
        ("https://acme.com/get-started", "demo"),
        ("https://acme.com/book", "demo"),
        ("https://acme.com/PRICING", "pricing"),
        ("https://acme.com/pricing/enterprise#faq", "pricing"),
        ("https://acme.com/plans", "pricing"),
        ("https://acme.com/get-a-quote", "pricing"),
        ("https://acme.com/compare/hubspot", "comparison"),
        ("https://acme.com/acme-vs-hubspot", "comparison"),
        ("https://acme.com/vs/hubspot", "comparison"),
        ("https://acme.com/alternatives/hubspot", "comparison"),
        ("https://acme.com/hubspot-alternative", "comparison"),
        ("https://acme.com/acme-versus-hubspot", "comparison"),
        ("https://acme.com/product", "product"),
        ("https://acme.com/products/widgets", "product"),
        ("https://acme.com/features/reporting", "product"),
        ("https://acme.com/integrations/salesforce", "product"),
        ("https://acme.com/solutions/healthcare", "product"),
        ("https://acme.com/platform", "product"),
        ("https://acme.com/blog/2026/launch", "content"),
        ("https://acme.com/docs/api", "content"),
        ("https://acme.com/resources", "content"),
        ("https://acme.com/case-studies/globex", "content"),
        ("https://acme.com/whitepapers/abm", "content"),
        # Keywords inside a slug do not change what the page is.
        ("https://acme.com/blog/how-to-book-a-demo", "content"),
        ("https://acme.com/blog/pricing-page-tips", "content"),
        ("https://acme.com/canvas", "content"),
        ("https://acme.com/demographics", "content"),
        # Nothing matches: the home page, about, legal.
        ("https://acme.com/", "content"),
        ("https://acme.com", "content"),
        ("https://acme.com/about", "content"),
    ],
)
def test_default_categories(url, category):
    assert categorize(url) == category


def test_the_path_alone_is_matched_and_decoded():
    assert url_path("https://acme.com/Pricing%20Plans?x=/demo#demo") == "/Pricing Plans"
    assert url_path("/pricing") == "/pricing"
    assert categorize("https://demo.acme.com/about?ref=pricing") == "content"


def test_first_match_wins_and_matching_ignores_case():
    patterns = [("demo", "^/pricing/talk"), ("pricing", "^/pricing")]
    assert categorize("https://acme.com/Pricing/Talk-To-Us", patterns) == "demo"
    assert categorize("https://acme.com/pricing", patterns) == "pricing"
    assert categorize("https://acme.com/blog", patterns) == "content"


def test_patterns_are_checked_with_clear_messages():
    assert check_patterns([["pricing", "^/pricing"]]) == (("pricing", "^/pricing"),)
    assert check_patterns([]) == ()
    assert check_patterns([list(p) for p in DEFAULT_PATTERNS]) == DEFAULT_PATTERNS
    cases = [
        ({"pricing": "^/pricing"}, "patterns must be a JSON array of [category, regex] pairs"),
        ([["pricing"]], 'pattern 1 must be a pair of strings like ["pricing", "^/pricing"]'),
        ([["pricing", "^/p"], ["pricing", 3]], "pattern 2 must be a pair of strings"),
        ([["g2", "^/g2"]], "pattern 1: category 'g2' is not one of: demo, pricing, comparison"),
        ([["demo", "("]], "pattern 1: '(' is not a valid regex: missing ), unterminated"),
        ([["demo", ""]], "pattern 1: the regex must have 1 to 500 characters"),
    ]
    for raw, message in cases:
        with pytest.raises(PatternError, match=re.escape(message)):
            check_patterns(raw)


def test_write_keys():
    assert write_key_from_bytes(bytes(range(24))) == "wk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
    key = new_write_key()
    assert re.fullmatch(r"wk_[A-Za-z0-9_-]{32}", key)
    assert key != new_write_key()
    with pytest.raises(ValueError, match="need 24 random bytes"):
        write_key_from_bytes(b"short")
