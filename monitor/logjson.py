"""One JSON object per log line (`policywatch --log-json`), for journald and log collectors."""

from __future__ import annotations

import json
import logging
import sys

from monitor.secrets import install_log_filter


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


PAGE_LOGGER = "policywatch.ingest"
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int | str, as_json: bool) -> None:
    """stderr, one line per record: plain for people and cron mail, JSON for machines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(PLAIN_FORMAT))
    handler.setLevel(level)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    # Without -v, a failed page is one line of the run's per-source summary, not Scrapy's retries,
    # tracebacks and a warning per page: those come back with -v.
    for name, quiet_level in (
        ("scrapy", logging.CRITICAL),
        ("twisted", logging.CRITICAL),
        (PAGE_LOGGER, logging.ERROR),
    ):
        logging.getLogger(name).setLevel(quiet_level if numeric >= logging.WARNING else logging.NOTSET)
    install_log_filter()  # secrets masked in every line, ours or a library's (urllib3's ?key= at -vv)
