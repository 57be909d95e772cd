"""One JSON object per log line (`policywatch --log-json`), for journald and log collectors."""

from __future__ import annotations

import json
import logging
import sys

from notifier.secrets import install_log_filter


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_as_json() -> bool:
    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int | str, as_json: bool) -> None:
    """stderr, one line per record: plain for people and cron mail, JSON for machines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(PLAIN_FORMAT))
    handler.setLevel(level)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    install_log_filter()  # secrets masked in every line, ours or a library's (urllib3's ?key= at -vv)
