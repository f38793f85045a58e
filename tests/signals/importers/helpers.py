"""Parse CSV text the way the import command does, without a database."""

from intentsync.signals.importers.csvfile import open_csv
from intentsync.signals.importers.service import read_items


def write(tmp_path, text, *, encoding="utf-8", name="export.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def parse(tmp_path, source, text, **kwargs):
    with open_csv(write(tmp_path, text, **kwargs)) as table:
        return list(read_items(table, source=source))
