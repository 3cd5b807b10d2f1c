"""Forms of the equipment register and the stock ledger. Values are checked by the services."""
from flask_babel import lazy_gettext as _l
from webapp.core.forms import BaseForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from webapp.inventory.services import CONDITION_LABELS, stock_choices
from webapp.layanan.catalog import EQUIPMENT_KINDS


def _kind_choices():
    return [("", str(_l("— pilih jenis —")))] + [(k, str(v)) for k, v in EQUIPMENT_KINDS.items()]


def _condition_choices():
    return [(k, str(v)) for k, v in CONDITION_LABELS.items()]


def _stock_choices():
    return [("", str(_l("— pilih jenis stok —")))] + stock_choices()


class EquipmentForm(BaseForm):
    inventory_number = StringField(_l("Nomor inventaris"), render_kw={"autocomplete": "off"})
    kind = SelectField(_l("Jenis"), choices=_kind_choices, validate_choice=False)
    name = StringField(_l("Merek / model"))
    serial_number = StringField(_l("Nomor seri"))
    condition = SelectField(_l("Kondisi"), choices=_condition_choices, validate_choice=False, default="baik")
    in_service = BooleanField(_l("Siap pakai (dapat dibawa perjalanan)"), default=True)
    notes = TextAreaField(_l("Catatan"), render_kw={"rows": 2})

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("inventory_number", "kind", "name", "serial_number", "condition", "in_service", "notes")}


class StockReceiptForm(BaseForm):
    stock_code = SelectField(_l("Jenis stok"), choices=_stock_choices, validate_choice=False)
    quantity = StringField(_l("Jumlah diterima"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    reason = TextAreaField(_l("Dasar penerimaan"), render_kw={"rows": 2})


class StockAdjustForm(BaseForm):
    stock_code = SelectField(_l("Jenis stok"), choices=_stock_choices, validate_choice=False)
    quantity = StringField(_l("Koreksi (+ atau −)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    reason = TextAreaField(_l("Alasan koreksi"), render_kw={"rows": 2})
