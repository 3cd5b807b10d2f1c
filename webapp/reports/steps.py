"""The SOP steps the mutu baku dashboard measures, each with the entity whose status history
holds its two events. The step definitions are the domains' own (the request, trip and visit
timelines); step 6 and the 1-hour rule take their standards from the operator queue.

    key            entity        from → to                    standard
    disposisi      request       baru → didisposisi           5 min   (step 2)
    penugasan      request       didisposisi → dijadwalkan    10 min  (step 3)
    tiba           trip          berangkat → tiba             2 h     (step 4)
    pelayanan      visit         dipanggil → selesai          20 min per resident (step 5)
    penyelesaian   application   diproses → terbit            5 min   (step 6)
    aturan-1-jam   application   di_kantor → terbit           1 h     (Permendagri 19/2018)

The 1-hour rule is measured on the receipt path: from the files received at the office to the
document number recorded. A document finished on site has no "files received" event."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from webapp.documents.queue import ONE_HOUR_RULE, STEP_6_STANDARD
from webapp.field.services import STEP_5
from webapp.intake.models import AT_OFFICE, ISSUED, PROCESSING
from webapp.requests.timeline import REQUEST_SOP_STEPS, SopStep
from webapp.trips.queries import STEP_4

STEP_6 = SopStep(6, _l("Dokumen selesai (diambil operator → nomor dokumen tercatat)"), PROCESSING, ISSUED,
                 STEP_6_STANDARD)
ONE_HOUR = SopStep(6, _l("Aturan 1 jam (berkas diterima di kantor → nomor dokumen tercatat)"), AT_OFFICE, ISSUED,
                   ONE_HOUR_RULE)


@dataclass(frozen=True)
class Measure:
    key: str               # in URLs (the slow cases of one step)
    step: SopStep
    entity_type: str       # status_history.entity_type of the entity the step runs on
    label: object          # short, for the charts
    unit: object           # what one case is ("surat", "perjalanan", "warga", "dokumen")
    rule: object = None    # a national rule rather than an SOP step: named instead of numbered

    @property
    def standard(self):
        return self.step.standard

    @property
    def heading(self) -> str:
        """The row's heading: "Langkah 2" for an SOP step, the rule's name otherwise."""
        return str(self.rule) if self.rule is not None else str(_l("Langkah %(n)s", n=self.step.number))


MEASURES: tuple[Measure, ...] = (
    Measure("disposisi", REQUEST_SOP_STEPS[0], "request", _l("Disposisi"), _l("surat")),
    Measure("penugasan", REQUEST_SOP_STEPS[1], "request", _l("Penugasan"), _l("surat")),
    Measure("tiba", STEP_4, "trip", _l("Tiba di lokasi"), _l("perjalanan")),
    Measure("pelayanan", STEP_5, "visit", _l("Pelayanan per warga"), _l("warga")),
    Measure("penyelesaian", STEP_6, "application", _l("Dokumen selesai"), _l("dokumen")),
    Measure("aturan-1-jam", ONE_HOUR, "application", _l("Aturan 1 jam"), _l("dokumen"),
            rule=_l("Permendagri 19/2018")),
)
BY_KEY = {m.key: m for m in MEASURES}


def measure(key: str) -> Measure | None:
    return BY_KEY.get(key)
