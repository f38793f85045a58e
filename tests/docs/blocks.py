"""The executable parts of the docs: ```sh blocks, their expected output and their exemptions."""

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(```+)\s*([\w-]*)\s*$")
NOT_EXECUTED = re.compile(r"^<!--\s*not executed:?(.*?)-->\s*$")
ANY_TEXT = "…"


@dataclass(frozen=True)
class Block:
    """One ```sh block, where it is, and what it must print when the doc states it."""

    path: Path
    line: int
    code: str
    expected: str | None
    skip_reason: str | None

    @property
    def where(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}"


def documents() -> list[Path]:
    """README first (it sets the placeholders up), then every doc, so a new doc is covered."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _fences(lines: list[str]) -> list[tuple[int, str, str]]:
    """(line number of the opening fence, info string, body) for every fenced block."""
    found: list[tuple[int, str, str]] = []
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        ticks, info = match.group(1), match.group(2)
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != ticks:
            body.append(lines[index])
            index += 1
        found.append((start, info, "\n".join(body) + "\n"))
        index += 1
    return found


def _closing_line(lines: list[str], start: int) -> int:
    ticks = FENCE.match(lines[start]).group(1)  # type: ignore[union-attr]
    index = start + 1
    while index < len(lines) and lines[index].strip() != ticks:
        index += 1
    return index


def parse(path: Path) -> list[Block]:
    """Every ```sh block of a document, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fences = _fences(lines)
    blocks: list[Block] = []
    for position, (start, info, body) in enumerate(fences):
        if info != "sh":
            continue
        expected = None
        if position + 1 < len(fences):
            next_start, next_info, next_body = fences[position + 1]
            between = lines[_closing_line(lines, start) + 1 : next_start]
            if next_info == "text" and all(not line.strip() for line in between):
                expected = next_body
        marker = NOT_EXECUTED.match(lines[start - 1]) if start > 0 else None
        reason = marker.group(1).strip() if marker else None
        blocks.append(Block(path, start + 1, body, expected, reason))
    return blocks


def stray_markers(path: Path) -> list[int]:
    """Lines holding a not-executed comment that does not sit right above a ```sh block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    sh_starts = {start for start, info, _ in _fences(lines) if info == "sh"}
    return [
        index + 1
        for index, line in enumerate(lines)
        if line.lstrip().startswith("<!-- not executed") and index + 1 not in sh_starts
    ]


def output_matches(expected: str, actual: str) -> bool:
    """Line by line; `…` in an expected line stands for any text within that line."""
    want = expected.rstrip("\n").splitlines()
    got = actual.rstrip("\n").splitlines()
    if len(want) != len(got):
        return False
    for pattern, line in zip(want, got, strict=True):
        regex = ".*".join(re.escape(part) for part in pattern.rstrip().split(ANY_TEXT))
        if not re.fullmatch(regex, line.rstrip(), flags=re.DOTALL):
            return False
    return True
