"""Logging that never writes a NIK or No. KK: any run of 16 digits is masked on the way out,
also when written in groups (6306-1045-0987-0001, 6306.1045.0987.0001, 6306 1045 0987 0001,
63.06.10.450987.0001): the first and last four digits stay, the rest becomes dots."""
from __future__ import annotations

import logging
import re

# 16 digits, any two of them optionally separated by one dash, dot, space (also no-break),
# slash, underscore or plus (or their percent-encoded forms), with no digit right before or after (two NIKs joined by a dash are both
# masked; a longer grouped number loses its first 16 digits, which is the safe side).
_SEPARATOR = r"(?:[-. \u00a0/_+]|%20|%2[dDeEfF])"   # + and %xx: as in a logged query string
SIXTEEN_DIGITS = re.compile(rf"(?<!\d)\d(?:{_SEPARATOR}?\d){{15}}(?!\d)")
MASK = "••••••••"


def _mask(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return digits[:4] + MASK + digits[-4:]


def scrub(text: str) -> str:
    return SIXTEEN_DIGITS.sub(_mask, text)


class NikScrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            # A traceback may quote a value (an SQL parameter, a form field): format it once
            # here, scrubbed; formatters use the cached text.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
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
