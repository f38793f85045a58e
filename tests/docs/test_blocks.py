"""The rules the docs test holds every doc to, and the few blocks that are exempt from it."""

from pathlib import Path

import pytest

from tests.docs.blocks import ROOT, documents, output_matches, parse, stray_markers


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_block_left_unexecuted_says_why(doc: Path) -> None:
    skipped = [b for b in parse(doc) if b.skip_reason is not None]
    assert [b.where for b in skipped if not b.skip_reason] == []
    assert stray_markers(doc) == [], "a `not executed` comment must sit right above a ```sh block"


def test_unexecuted_blocks_stay_few() -> None:
    skipped = [b for doc in documents() for b in parse(doc) if b.skip_reason is not None]
    executed = [b for doc in documents() for b in parse(doc) if b.skip_reason is None]
    assert len(skipped) <= 5, [f"{b.where}: {b.skip_reason}" for b in skipped]
    assert len(executed) > 10 * len(skipped)


def test_an_ellipsis_stands_for_any_text_within_one_line() -> None:
    assert output_matches('{"id":"…","ok":true}\n', '{"id":"6a21b8","ok":true}\n')
    assert not output_matches('{"id":"…","ok":true}\n', '{"id":"6a21b8","ok":false}\n')
    assert not output_matches("scored … accounts\n", "scored 3 accounts\nextra line\n")
    assert not output_matches("a…\n", "b\n")
    assert output_matches("exactly\n", "exactly")


def test_expected_output_is_the_text_block_right_after_a_shell_block(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```sh\necho hi\n```\n\n```text\nhi\n```\n\n"
        "<!-- not executed: runs in the foreground -->\n```sh\nintentsync serve\n```\n"
        "```sh\necho a\n```\nprose\n```text\nnot this block's\n```\n"
        "<!-- not executed: -->\n```sh\nintentsync worker\n```\n",
        encoding="utf-8",
    )
    blocks = parse(doc)
    assert [(b.line, b.expected, b.skip_reason) for b in blocks] == [
        (1, "hi\n", None),
        (10, None, "runs in the foreground"),
        (13, None, None),
        (21, None, ""),
    ]
