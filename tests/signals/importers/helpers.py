"""Parse CSV text the way the import command does, without a database."""

from intentsync.signals.importers.service import open_export, read_items


def write(tmp_path, text, *, encoding="utf-8", name="export.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def parse(tmp_path, source, text, **kwargs):
    with open_export(write(tmp_path, text, **kwargs), source=source) as table:
        return list(read_items(table))
