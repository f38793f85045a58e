"""Log setup for the long-running processes, so intentsync's INFO lines reach the terminal.

uvicorn configures only its own loggers; without this, the scheduler's per-team lines would
fall to Python's last-resort handler, which drops everything below WARNING. With the "json"
format every line, uvicorn's own included, is one JSON object for a log collector.
"""

import copy
import logging
import logging.config
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from uvicorn.config import LOGGING_CONFIG

JSON_FIELDS = ("levelname", "name", "message", "process")
# `pid` tells apart the lines of `serve --workers N`, which share one stream.
RENAMED = {"levelname": "level", "name": "logger", "process": "pid"}
# uvicorn adds a copy of some messages with terminal colours; a log collector wants neither.
DROPPED = ("color_message",)


class JsonLogFormatter(JsonFormatter):
    """level, logger, message, pid and time (UTC); an access line adds the request's fields."""

    def __init__(self) -> None:
        super().__init__(
            JSON_FIELDS,
            rename_fields=RENAMED,
            timestamp="time",
            reserved_attrs=[*RESERVED_ATTRS, *DROPPED],
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            if len(record.args) == 5:
                client, method, path, http_version, status = record.args
                log_data.update(
                    client=client,
                    method=method,
                    path=path,
                    http_version=http_version,
                    status=status,
                )


def log_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's own logging setup plus the `intentsync` loggers, as text or as JSON lines."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["intentsync"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": "%(levelprefix)s %(name)s: %(message)s",
        "use_colors": None,
    }
    config["handlers"]["intentsync"] = {
        "formatter": "intentsync",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["intentsync"] = {
        "handlers": ["intentsync"],
        "level": level.upper(),
        "propagate": False,
    }
    if log_format == "json":
        json_formatter = {"()": f"{__name__}.JsonLogFormatter"}
        config["formatters"] = dict.fromkeys(config["formatters"], json_formatter)
        # Anything else that logs (a library's warning) is a JSON line too.
        config["root"] = {"handlers": ["intentsync"], "level": "WARNING"}
    return config


def configure_logging(level: str, log_format: str = "text") -> None:
    """For processes that log without uvicorn (the scoring worker)."""
    logging.config.dictConfig(log_config(level, log_format))
