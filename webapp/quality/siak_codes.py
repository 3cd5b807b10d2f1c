"""Numeric codes of SIAK export columns, as this project writes and reads them.

Real SIAK exports carry either the label or a number. STAT_KWN follows the coding widely seen in
SIAK exports (1 BELUM KAWIN, 2 KAWIN, 3 CERAI HIDUP, 4 CERAI MATI), with the two newer labels
after them; STAT_HBKEL follows the order of shared/DOMAIN.md. Neither is confirmed by the office
yet (DOMAIN.md: "confirm the numeric codes"): change them here, in one place, once it does.
"""

SIAK_CODES: dict[str, dict[int, str]] = {
    "JENIS_KLMIN": {
        1: "LAKI-LAKI",
        2: "PEREMPUAN",
    },
    "STAT_KWN": {
        1: "BELUM KAWIN",
        2: "KAWIN",
        3: "CERAI HIDUP",
        4: "CERAI MATI",
        5: "KAWIN TERCATAT",
        6: "KAWIN BELUM TERCATAT",
    },
    "STAT_HBKEL": {
        1: "KEPALA KELUARGA",
        2: "SUAMI",
        3: "ISTRI",
        4: "ANAK",
        5: "MENANTU",
        6: "CUCU",
        7: "ORANG TUA",
        8: "MERTUA",
        9: "FAMILI LAIN",
        10: "LAINNYA",
    },
}

# label -> code, per column (e.g. SIAK_LABEL_TO_CODE["STAT_HBKEL"]["ANAK"] == 4)
SIAK_LABEL_TO_CODE: dict[str, dict[str, int]] = {
    column: {label: code for code, label in codes.items()} for column, codes in SIAK_CODES.items()
}

# PersonRecord.sex ("L"/"P") <-> JENIS_KLMIN label
SEX_TO_LABEL: dict[str, str] = {"L": "LAKI-LAKI", "P": "PEREMPUAN"}
LABEL_TO_SEX: dict[str, str] = {label: sex for sex, label in SEX_TO_LABEL.items()}
