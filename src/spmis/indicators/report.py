"""The staff report as an XLSX workbook: one sheet per indicator table, every value, text
cells guarded against formulas."""

from __future__ import annotations

import io

from openpyxl import Workbook

from spmis.formula_guard import guard_row
from spmis.indicators.model import TITLES, Indicator, Published

__all__ = ["xlsx_report"]

HEADERS = {"en": ("Indicator", "Programme", "Month", "Province", "Sex", "Currency", "Value"),
           "km": ("សូចនាករ", "កម្មវិធី", "ខែ", "ខេត្ត", "ភេទ", "រូបិយប័ណ្ណ", "តម្លៃ")}


def xlsx_report(values: list[Published], locale: str, scope: str) -> bytes:
    """A workbook of ``values``: a sheet per indicator, a row per value (totals marked
    "all")."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    lang = "km" if locale == "km" else "en"
    for indicator in Indicator:
        rows = [v for v in values if v.indicator == indicator.value]
        sheet = wb.create_sheet(indicator.value[:31])
        title = TITLES[indicator][1 if lang == "km" else 0]
        sheet.append(guard_row([title, f"scope: {scope or 'KH'}"]))
        sheet.append(guard_row(HEADERS[lang]))
        for v in rows:
            sheet.append(guard_row([v.indicator, v.programme, v.period, v.province_code,
                                    v.sex, v.currency, v.value]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
