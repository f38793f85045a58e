"""Log setup for the long-running processes, so intentsync's INFO lines reach the terminal.

uvicorn configures only its own loggers; without this, the scheduler's per-team lines would
fall to Python's last-resort handler, which drops everything below WARNING.
"""

import copy
import logging.config
from typing import Any

from uvicorn.config import LOGGING_CONFIG


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's own logging setup plus the `intentsync` loggers, in uvicorn's format."""
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
    return config


def configure_logging(level: str) -> None:
    """For processes that log without uvicorn (the scoring worker)."""
    logging.config.dictConfig(log_config(level))
