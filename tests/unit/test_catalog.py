from webapp.layanan.catalog import equipment_for, parse_service_token, service_label, stock_for


def test_parse_service_tokens_in_the_forms_villages_write():
    assert parse_service_token("KTP_EL:baru") == ("KTP_EL", "baru")
    assert parse_service_token("ktp-el hilang") == ("KTP_EL", "hilang")
    assert parse_service_token("KIA:5_17") == ("KIA", "5_17")
    assert parse_service_token("akta kelahiran") == ("AKTA_LAHIR", "baru")
    assert parse_service_token("PASPOR") is None
    assert parse_service_token("KTP_EL:terbang") is None


def test_perekaman_kit_only_when_someone_needs_perekaman():
    assert "perekaman_kit" not in equipment_for({("KK", "baru")})
    assert "perekaman_kit" in equipment_for({("PEREKAMAN", "perekaman")})
    assert "kamera" in equipment_for({("KIA", "5_17")}) and "kamera" not in equipment_for({("KIA", "bawah_5")})


def test_stock_includes_spares_and_ribbons():
    need = stock_for({("KTP_EL", "baru"): 20, ("KIA", "bawah_5"): 5, ("AKTA_LAHIR", "baru"): 3})
    assert need["BLANGKO_KTP"] == 22 and need["BLANGKO_KIA"] == 6 and need["KERTAS_AKTA"] == 4
    assert need["PITA_PRINTER_KARTU"] == 1 and need["KERTAS_STRUK"] == 1


def test_labels():
    assert service_label("KTP_EL", "hilang") == "KTP-el — Hilang"
    assert service_label("AKTA_MATI", "baru") == "Akta Kematian"
