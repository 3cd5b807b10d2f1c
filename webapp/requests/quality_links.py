"""What the requests domain tells the quality pages: the village requests a resident appears
on, and the request a pre-trip case came from. Registered with `webapp.quality.links` (quality
never imports requests)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.core.timefmt import format_date
from webapp.extensions import db
from webapp.quality.links import LinkSection, RecordLink, case_source, resident_section
from webapp.requests.models import RequestResident, VillageRequest
from webapp.wilayah.services import village_label


def _request_link(req: VillageRequest, detail: str = "") -> RecordLink:
    return RecordLink(text=req.number, endpoint="requests.request_detail", args={"request_id": req.id},
                      detail=detail)


@resident_section
def requests_of_resident(nik: str | None) -> LinkSection:
    rows = []
    if nik:
        rows = db.session.execute(
            select(VillageRequest, RequestResident).join(RequestResident, RequestResident.request_id == VillageRequest.id)
            .where(RequestResident.nik == nik).order_by(VillageRequest.created_at.desc())).all()
    links = [_request_link(req, " · ".join([village_label(req.desa_code), format_date(req.requested_date),
                                            ", ".join(s.label for s in resident.services)]))
             for req, resident in rows]
    return LinkSection(title=str(_l("Dalam daftar permohonan desa")), links=links,
                       empty=str(_l("Belum pernah tercantum dalam daftar permohonan desa.")))


@case_source
def request_of_case(number: str) -> RecordLink | None:
    """A pre-trip case stores the number of the village request it came from."""
    req = db.session.execute(select(VillageRequest).where(VillageRequest.number == number)).scalar()
    return _request_link(req) if req is not None else None
