"""The reconciliation as an HXL-tagged CSV (Humanitarian Exchange Language, dictionary v1.1).

The same rows and columns as `aidledger reconcile --format csv` (FORMATS.md), with one row of
HXL hashtags under the header (REP-007; tags from rules-catalogue §5.3), so OCHA's and partners'
HXL tools can filter and join it without a mapping. The plain reconciliation CSV stays as it is:
other tools read it by its header.

Quantities are `#item+num` with the pipeline stage as an attribute (`+pledged`, `+dispatched`
...), values `#value` with theirs; text cells are neutralised against spreadsheet formulas like
every CSV AidLedger writes.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from sqlalchemy import Connection

from ledger.queries import reconcile
from reports.outfiles import replaced
from reports.tabular import cell
from schemas.outputs import ReconRow

# HXL v1.1: a hashtag, then attributes; all lowercase letters, digits and underscores.
TAG_RE = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")

STAGE_ATTRIBUTES = {
    "pledged": "pledged", "dispatched": "dispatched", "at_customs": "customs",
    "in_transit": "transit", "received": "received", "short": "short", "damaged": "damaged",
    "excess": "excess", "distributed": "provided", "written_off": "written_off",
    "in_stock": "stock", "outstanding_pledge": "outstanding",
}  # fmt: skip
TAGS: dict[str, str] = {
    "donor": "#org+funder+code",
    "recipient": "#org+impl+code",
    "item": "#item+code",
    **{q: f"#item+num+{STAGE_ATTRIBUTES[q]}" for q in ReconRow.QUANTITIES},
    "unit": "#item+unit",
    "currency": "#currency",
    "dispatched_value": "#value+dispatched",
    "received_value": "#value+received",
    "received_value_uah": "#value+received+uah",
    "uah_pending": "#meta+uah_pending",
}
COLUMNS = list(ReconRow.CSV_COLUMNS)  # the reconciliation CSV's, in its order


def write_hxl(conn: Connection, path: Path, donor: str | None = None,
              recipient: str | None = None) -> int:  # fmt: skip
    """Write the reconciliation with its HXL row to `path`; returns the rows written."""
    rows = reconcile(conn, donor, recipient)  # refuses a code that is no party
    with replaced(Path(path), "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(COLUMNS)
        out.writerow([TAGS[c] for c in COLUMNS])  # a column without a tag fails loudly here
        for row in rows:
            values = vars(row)
            out.writerow([cell(values[c]) for c in COLUMNS])
    return len(rows)
