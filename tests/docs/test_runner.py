"""The docs test itself: a failing command or a wrong output is reported with where it is."""

import os
from pathlib import Path

import pytest

from tests.docs.test_docs import Workspace, run_document


@pytest.fixture
def offline() -> Workspace:
    """Placeholders without a server, for documents whose blocks never call one."""
    env = {k: v for k, v in os.environ.items() if k not in ("BASE", "KEY", "TEAM")}
    return Workspace("127.0.0.1:9", 7, "isk_real", env)


def write(tmp_path: Path, text: str) -> Path:
    doc = tmp_path / "doc.md"
    doc.write_text(text, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    return doc


def test_blocks_share_one_shell_and_see_the_readme_placeholders(tmp_path, offline):
    doc = write(
        tmp_path,
        "```sh\nNAME=world\ncat > note.txt <<'EOF'\nkept\nEOF\n```\n\n"
        '```sh\necho "hello $NAME" "$TEAM" "$KEY" "$BASE"\ncat note.txt\n'
        "ls examples | head -1\n```\n"
        "\n```text\nhello world 7 isk_real http://127.0.0.1:9/api/v1/crm\nkept\n…csv\n```\n",
    )
    assert run_document(doc, offline, tmp_path / "work") is None
    assert not (Path.cwd() / "note.txt").exists()


def test_a_failing_command_is_reported_with_its_file_line_and_output(tmp_path, offline):
    doc = write(tmp_path, "# t\n\n```sh\necho before\nfalse\necho after\n```\n")
    problem = run_document(doc, offline, tmp_path / "work")
    assert problem is not None
    assert problem.startswith(f"{doc}:3: exited 1")
    assert "before" in problem
    assert "after" not in problem.split("--- stdout ---")[1]


def test_an_unset_variable_fails_the_block(tmp_path, offline):
    doc = write(tmp_path, '```sh\necho ok\n```\n\n```sh\necho "$NOT_SET_ANYWHERE"\n```\n')
    problem = run_document(doc, offline, tmp_path / "work")
    assert problem is not None
    assert problem.startswith(f"{doc}:5: exited")


def test_output_other_than_documented_is_reported_with_both(tmp_path, offline):
    doc = write(tmp_path, "```sh\necho 41\n```\n\n```text\n42\n```\n")
    problem = run_document(doc, offline, tmp_path / "work")
    assert problem is not None
    assert problem.startswith(f"{doc}:1: printed other than documented:\n42\n")
    assert "--- stdout ---\n41\n" in problem


def test_a_pipeline_fails_when_any_part_fails(tmp_path, offline):
    doc = write(tmp_path, "```sh\nfalse | cat\n```\n")
    assert run_document(doc, offline, tmp_path / "work") is not None
