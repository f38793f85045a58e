"""Domain cleaning shared by every endpoint that takes a company domain."""

import re

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_BAD_CHARS = re.compile(r"[\s/\\?#@:<>\"'`{}|^\[\],;=()*!$&+%~]")


# Already clean (the common case on bulk pushes): no scheme, www, port, path or bad label.
_CLEAN = re.compile(r"(?!www\.)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{1,63}(?<!-)")


def clean_domain(raw: str) -> str:
    """Reduce a URL or host to its bare lower-case domain, or '' when nothing usable is left.

    https://www.Acme.com:443/foo?x=1 -> acme.com
    """
    if len(raw) <= 253 and _CLEAN.fullmatch(raw):
        return raw
    text = raw.strip().lower()
    text = _SCHEME.sub("", text)
    if text.startswith("//"):
        text = text[2:]
    for stop in ("/", "?", "#"):
        text = text.split(stop, 1)[0]
    text = text.rsplit("@", 1)[-1]
    host, sep, port = text.rpartition(":")
    if sep and (port == "" or port.isdigit()):
        text = host
    text = text.strip().strip(".")
    if text.startswith("www."):
        text = text[4:]
    if not text or len(text) > 253 or _BAD_CHARS.search(text):
        return ""
    labels = text.split(".")
    if len(labels) < 2:
        return ""  # a company domain has a dot; 'acme' or 'www' is a typo
    if any(not label or len(label) > 63 for label in labels):
        return ""
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return ""
    return text
