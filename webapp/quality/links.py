"""What other domains know of a resident or of a case's source, shown on the quality pages.

Quality never imports the domains that use it (the requests domain uses the pre-trip check):
they register providers here instead, and the pages show what the providers return.

    @resident_section
    def requests_of_resident(nik: str | None) -> LinkSection: ...

    @case_source
    def request_of_case(source: str) -> RecordLink | None: ...
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class RecordLink:
    text: str                       # "PMH-OFFICE-000012"
    endpoint: str | None = None     # the record's page, shown as a link to roles that may open it
    args: dict = field(default_factory=dict)
    detail: str = ""                # "Desa Loksado · 03-12-2026 · KTP-el"


@dataclass(frozen=True)
class LinkSection:
    title: str
    links: list[RecordLink]
    empty: str = ""                 # shown when `links` is empty


_RESIDENT_SECTIONS: list[Callable[[str | None], LinkSection | None]] = []
_CASE_SOURCES: list[Callable[[str], RecordLink | None]] = []


def resident_section(provider: Callable[[str | None], LinkSection | None]):
    """Register a section of the resident's record page; the provider gets the resident's NIK
    (None for a record without one) and returns None to show nothing."""
    if provider not in _RESIDENT_SECTIONS:
        _RESIDENT_SECTIONS.append(provider)
    return provider


def case_source(resolver: Callable[[str], RecordLink | None]):
    """Register a resolver of a case's source (`QualityCase.request_id`, e.g. a request number)."""
    if resolver not in _CASE_SOURCES:
        _CASE_SOURCES.append(resolver)
    return resolver


def sections_for_resident(nik: str | None) -> list[LinkSection]:
    sections = (provider(nik) for provider in _RESIDENT_SECTIONS)
    return [section for section in sections if section is not None]


def source_of(source: str | None) -> RecordLink | None:
    if not source:
        return None
    for resolver in _CASE_SOURCES:
        link = resolver(source)
        if link is not None:
            return link
    return None
