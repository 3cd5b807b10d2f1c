"""`flask field checkout TRIP_NUMBER` and `flask field checkin TRIP_NUMBER` on the bus laptop
(they join the `field` group of webapp.sync.cli)."""
from __future__ import annotations

import sys

import click

from webapp.core.errors import DomainError
from webapp.core.uow import unit_of_work
from webapp.sync import checkout
from webapp.sync.cli import _require, field_cli
from webapp.trips import queries as trip_queries


@field_cli.command("checkout")
@click.argument("trip_number")
@click.option("--timeout", type=float, default=checkout.CHECKOUT_TIMEOUT, show_default=True,
              help="Detik menunggu kantor menyusun paket.")
def field_checkout(trip_number: str, timeout: float) -> None:
    """Ambil perjalanan dari kantor (check-out): tim, warga, data penduduk desa tujuan, blangko, peralatan."""
    _require("field")
    try:
        with unit_of_work():
            result = checkout.request_checkout(trip_number, timeout=timeout)
            summary = (f"Perjalanan {result.trip.number} sudah di laptop ini ({result.checkout.package_size} bita, "
                       f"sha256 {result.checkout.package_hash[:12]}…): "
                       f"{result.counts.get('request_resident', 0)} warga, "
                       f"{result.counts.get('person', 0)} data penduduk, "
                       f"{result.counts.get('users', 0)} akun tim; tanda: " +
                       ", ".join(f"{level} {n}" for level, n in result.flags.items()))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(summary)


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    found = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r}: tulis {what}=NILAI")
        found[key.strip()] = rest.strip()
    return found


def _ask_missing(trip, returned: dict, equipment: dict) -> None:
    """At a terminal, ask for every count and condition not given as an option."""
    if not sys.stdin.isatty():
        return
    for code, row in checkout.trip_stock_lines(trip):
        if code not in returned:
            returned[code] = click.prompt(f"{checkout.inventory.stock_label(code)}: dibawa pulang sekarang "
                                          f"(masih dibawa menurut catatan {row.outstanding})",
                                          default=str(row.outstanding))
    for item in trip_queries.equipment_of(trip):
        if item.inventory_number not in equipment:
            equipment[item.inventory_number] = click.prompt(
                f"Kondisi {item.name} {item.inventory_number}", default=item.condition,
                type=click.Choice(list(checkout.CONDITIONS)))


@field_cli.command("checkin")
@click.argument("trip_number")
@click.option("--returned", "returned_opts", multiple=True, metavar="KODE=JUMLAH",
              help="Blangko dibawa pulang sekarang, mis. BLANGKO_KTP=40 (boleh berulang).")
@click.option("--explain", "explain_opts", multiple=True, metavar="KODE=TEKS", help="Penjelasan selisih per blangko.")
@click.option("--equipment", "equipment_opts", multiple=True, metavar="NO_INVENTARIS=KONDISI",
              help="Kondisi peralatan: baik, rusak_ringan, rusak_berat (boleh berulang).")
@click.option("--note", default=None, help="Catatan check-in.")
@click.option("--timeout", type=float, default=checkout.CHECKIN_TIMEOUT, show_default=True)
def field_checkin(trip_number, returned_opts, explain_opts, equipment_opts, note, timeout) -> None:
    """Check-in perjalanan: hitung blangko dan kondisi peralatan, kirim ke kantor, lalu hapus data yang tak
    diperlukan lagi."""
    _require("field")
    trip = checkout.trip_by_number(trip_number)
    if trip is None:
        raise click.ClickException(f"perjalanan {trip_number} tidak ada di laptop ini")
    returned, notes = _pairs(returned_opts, "KODE"), _pairs(explain_opts, "KODE")
    by_number = {item.inventory_number: str(item.id) for item in trip_queries.equipment_of(trip)}
    equipment = _pairs(equipment_opts, "NO_INVENTARIS")
    _ask_missing(trip, returned, equipment)
    data = checkout.CheckinInput(returned=returned, notes=notes, note=note,
                                 equipment={by_number.get(k, k): v for k, v in equipment.items()})
    try:
        with unit_of_work():
            _released, cleanup = checkout.request_checkin(trip, data, timeout=timeout)
    except checkout.CheckinRefused as error:
        raise click.ClickException("check-in ditolak:\n" + "\n".join(f"  {k}: {v}" for k, v in error.errors.items()))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"Check-in {trip.number} diterima kantor. Dihapus dari laptop ini: {cleanup.persons} data penduduk, "
               f"{cleanup.files} berkas warga ({cleanup.bytes} bita).")
