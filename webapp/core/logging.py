"""Logging that never writes a NIK or No. KK: any 16-digit run is masked on the way out."""
from __future__ import annotations

import logging
import re

SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")


def scrub(text: str) -> str:
    return SIXTEEN_DIGITS.sub(r"\1••••••••\2", text)


class NikScrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def install_scrubber() -> None:
    """Attach the scrubber to every handler of the root and werkzeug loggers, so request
    lines (which carry query strings) are covered too."""
    scrubber = NikScrubber()
    for name in ("", "werkzeug", "gunicorn.access", "gunicorn.error", "webapp"):
        logger = logging.getLogger(name)
        logger.addFilter(scrubber)
        for handler in logger.handlers:
            handler.addFilter(scrubber)
    if not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.addFilter(scrubber)
        logging.getLogger().addHandler(handler)
