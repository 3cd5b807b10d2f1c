from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from webapp.audit import services
from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.authz import roles_required
from webapp.core.web import render_page
from webapp.main.dashboard import nav_item

ACTION_LABELS = {
    "view": _l("melihat rekaman lengkap"), "view_nik": _l("menampilkan NIK lengkap"),
    "create": _l("membuat"), "update": _l("mengubah"), "delete": _l("menghapus"), "status": _l("mengubah status"),
    "import": _l("mengimpor"), "export": _l("mengekspor"), "decide": _l("memutuskan"), "login": _l("masuk"),
    "tambah": _l("menambah"), "ubah": _l("mengubah"), "hapus": _l("menghapus"),
    "reprint": _l("mencetak ulang (salinan)"), "search": _l("mencari"),
    "siak_link": _l("mencatat sambungan SIAK"),
    "checkout": _l("menyerahkan perjalanan ke node lapangan (check-out)"),
    "checkin": _l("menerima kembali perjalanan dari node lapangan (check-in)"), "revoke": _l("mencabut"),
    "sync_push": _l("mengirim perubahan dari node lapangan"), "sync_refused": _l("menolak sinkronisasi"),
    "sync_conflict": _l("mencatat konflik sinkronisasi"), "sync_pair": _l("memasangkan node lapangan dengan kantor"),
    "sync_pull": _l("mengirim perubahan kantor ke node lapangan"),
    "sync_clock": _l("mencatat perubahan selisih jam node lapangan"),
    "sync_pass": _l("menyinkronkan dengan kantor"),
    "login_failed": _l("gagal masuk"), "login_locked": _l("mencoba masuk saat akun terkunci"),
    "account_locked": _l("akun dikunci"), "login_inactive": _l("mencoba masuk dengan akun nonaktif"),
    "login_throttled": _l("mencoba masuk saat harus menunggu (terlalu banyak gagal)"),
    "backup": _l("membuat cadangan (backup)"), "restore": _l("memulihkan dari cadangan (restore)"),
    "retention": _l("menghapus data yang habis masa simpannya (retensi)"),
}
ENTITY_LABELS = {
    "user": _l("pengguna"), "request": _l("permohonan"), "request_resident": _l("warga permohonan"),
    "requested_service": _l("layanan warga"), "disposition": _l("disposisi"), "file": _l("berkas"),
    "trip": _l("perjalanan"), "trip_member": _l("anggota tim"), "equipment": _l("peralatan"),
    "stock_balance": _l("saldo stok"), "stock_movement": _l("mutasi stok"), "person": _l("penduduk"),
    "quality_case": _l("kasus kualitas data"), "duplicate_decision": _l("keputusan data ganda"),
    "register_import": _l("impor register"), "requirement_template": _l("templat syarat"),
    "requirement_item": _l("butir syarat"), "setting": _l("pengaturan"),
    "receipt": _l("tanda terima"), "handover": _l("serah terima dokumen"),
    "siak_file_run": _l("berkas SIAK"),
    "visit": _l("kunjungan warga"),
    "application": _l("permohonan layanan"), "application_requirement": _l("butir kelengkapan permohonan"),
    "application_file": _l("berkas permohonan"), "data_correction": _l("koreksi data"),
    "card_reading": _l("pembacaan KTP-el"),
    "trip_equipment": _l("peralatan perjalanan"),
    "sync_node": _l("node lapangan"), "sync_conflict": _l("konflik sinkronisasi"),
    "trip_checkout": _l("check-out perjalanan"), "sync_media": _l("berkas kiriman node"),
    "sync_outbox": _l("antrean kirim node"), "sync_applied": _l("kiriman node yang diterapkan"),
    "sync_feed": _l("kabar perubahan untuk node"), "sync_link": _l("sambungan node ke kantor"),
    "backup": _l("cadangan"), "retention": _l("retensi data"),
}

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
nav_item(91, "audit.audit_log", _l("Audit"))


@bp.get("/")
@roles_required(Role.ADMIN)
def audit_log():
    filters = services.AuditFilters.from_args(request.args)
    page = services.search(filters)
    return render_page("audit/list.html", fragment="rows", page=page, filters=filters,
                       refs=services.references(page.items),
                       actions=services.distinct_values(AuditEntry.action),
                       entity_types=services.distinct_values(AuditEntry.entity_type),
                       action_labels=ACTION_LABELS, entity_labels=ENTITY_LABELS)
