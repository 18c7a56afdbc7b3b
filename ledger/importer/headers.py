"""Column headers as coordinators actually write them: case, spaces, and their own language.

Each alias maps to the canonical column of FORMATS.md. Ukrainian, Czech and Polish names cover
the columns coordinators fill in most; anything else is reported as unknown, with a suggestion.
"""

from __future__ import annotations

import difflib
import unicodedata

ALIASES: dict[str, str] = {
    # Ukrainian
    "код": "code", "назва": "name", "найменування": "name", "вид": "kind", "країна": "country",
    "одиниця": "unit", "од_виміру": "unit", "код_укт_зед": "hs_code", "категорія": "category",
    "дата": "date", "донор": "donor", "отримувач": "recipient", "товар": "item",
    "кількість": "quantity", "ціна": "unit_value", "ціна_за_одиницю": "unit_value",
    "валюта": "currency", "серія": "batch", "партія": "batch", "термін_придатності": "expiry",
    "склад": "warehouse", "отримано": "received", "нестача": "short",
    "пошкоджено": "damaged", "надлишок": "excess", "примітки": "remarks",
    "набувач": "beneficiary", "причина": "reason", "курс": "rate", "джерело": "source",
    "номер_рядка": "line_no", "рядок": "line_no", "населений_пункт": "settlement",
    "дата_відправлення": "dispatch_date", "вага_брутто_кг": "gross_kg", "місць": "packages",
    # Czech
    "kód": "code", "název": "name", "druh": "kind", "země": "country", "jednotka": "unit",
    "datum": "date", "dárce": "donor", "příjemce": "recipient", "položka": "item",
    "množství": "quantity", "jednotková_cena": "unit_value", "měna": "currency",
    "šarže": "batch", "expirace": "expiry", "sklad": "warehouse", "řádek": "line_no",
    "datum_odeslání": "dispatch_date", "hmotnost_brutto_kg": "gross_kg", "počet_balíků": "packages",
    # Polish
    "kod": "code", "nazwa": "name", "rodzaj": "kind", "kraj": "country", "jednostka": "unit",
    "data": "date", "darczyńca": "donor", "odbiorca": "recipient", "pozycja": "item",
    "ilość": "quantity", "cena_jednostkowa": "unit_value", "waluta": "currency",
    "partia": "batch", "data_ważności": "expiry", "magazyn": "warehouse", "wiersz": "line_no",
    "data_wysyłki": "dispatch_date", "waga_brutto_kg": "gross_kg", "liczba_paczek": "packages",
}  # fmt: skip


def normalize(header: str) -> str:
    """Lower-case, NFC, BOM and outer spaces removed, inner spaces and hyphens as underscores."""
    h = unicodedata.normalize("NFC", header).replace("\ufeff", "").strip().lower()
    return "_".join(h.replace("-", " ").split())


def canonical(header: str, known: list[str]) -> str:
    h = normalize(header)
    if h in known:
        return h
    alias = ALIASES.get(h)
    return alias if alias in known else h


def suggest(unknown: list[str], missing: str) -> str:
    close = difflib.get_close_matches(missing, unknown, n=1, cutoff=0.5)
    return f" (is {close[0]!r} meant to be {missing!r}?)" if close else ""
