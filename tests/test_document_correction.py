"""A document on file is corrected on purpose (`correct_documents`, `import --correct-documents`).

DOC-001 says "the donation letter for S1 (DL1) is not signed" and its fix says to file it signed;
the signed row under the same key (kind, number, subject) was a conflict, and a document posts no
entry that `reverse` could free its key from. A changed document row stays a conflict unless the
correction is asked for (invariant 7), and the conflict says how; with the flag only documents
change, all or nothing, and the version replaced is kept in `document_version`.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from ledger import operations as ops
from ledger.api import Ledger
from ledger.db import tables as t
from ledger.errors import ImportRejected, LedgerError
from ledger.rules.engine import check_ledger
from schemas.rows import DocumentRow
from tests import factories as f

HEADER = "kind,number,subject,date,signed,signatory,sha256\n"
UNSIGNED = "donation_letter,DL1,S1,2023-03-01,false,,\n"
SIGNED = "donation_letter,DL1,S1,2023-03-01,true,Mayor of Prague," + "ab" * 32 + "\n"


def documents(folder, *rows: str):
    folder.mkdir(exist_ok=True)
    path = folder / "documents.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


@pytest.fixture
def on_file(led: Ledger, tmp_path) -> Ledger:
    """Shipment S1 with its donation letter DL1 on file, unsigned."""
    f.world(led)
    ops.dispatch(led, f.ship("S1"))
    led.import_files([documents(tmp_path / "first", UNSIGNED)])
    return led


def stored(led: Ledger) -> list[tuple]:
    d = t.Document
    with led.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(d.number, d.signed, d.signatory, d.sha256))]


def kept_versions(led: Ledger) -> list[tuple]:
    v = t.DOCUMENT_VERSIONS
    with led.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(v.c.id, v.c.number, v.c.signed, v.c.signatory, v.c.replaced_at)
            .order_by(v.c.version_id)
        )]  # fmt: skip


def doc_001(led: Ledger) -> list[str]:
    return [x.message for x in check_ledger(led).findings if x.rule == "DOC-001"]


def cli_doc_001(led: Ledger) -> list[str]:
    """What `aidledger check` says of DOC-001 (exit 1 either way: other rules stand)."""
    done = CliRunner().invoke(main, ["--db", led.url, "check", "--shipment", "S1", "--format",
                                     "json"])  # fmt: skip
    assert done.exit_code in (0, 1), done.output
    return [x["message"] for x in json.loads(done.stdout)["findings"] if x["rule"] == "DOC-001"]


UNSIGNED_ON_FILE = [("DL1", False, None, None)]


def test_a_changed_document_is_a_conflict_that_says_how_to_correct_it(on_file: Ledger, tmp_path):
    assert doc_001(on_file) == ["the donation letter for S1 (DL1) is not signed"]
    signed = documents(tmp_path, SIGNED)
    with pytest.raises(ImportRejected) as caught:
        on_file.import_files([signed])
    [error] = caught.value.errors
    assert "conflict with the record already stored under donation_letter/DL1/S1" in error.reason
    assert "signed: ledger has False, file has True" in error.reason
    assert "import the corrected row again with --correct-documents" in error.reason
    # one row posted on its own says so too, in the API's terms
    row = DocumentRow.model_validate({"kind": "donation_letter", "number": "DL1", "subject": "S1",
                                      "date": "2023-03-01", "signed": "true"})  # fmt: skip
    with pytest.raises(LedgerError, match=r"the command has True.*correct_documents=True"):
        on_file.post(row)
    done = CliRunner().invoke(main, ["--db", on_file.url, "import", str(signed)])
    assert done.exit_code == 1 and "--correct-documents" in done.output, done.output
    assert stored(on_file) == UNSIGNED_ON_FILE and kept_versions(on_file) == []


def test_correct_documents_replaces_the_document_and_keeps_the_version(on_file: Ledger, tmp_path):
    signed = documents(tmp_path, SIGNED)
    assert cli_doc_001(on_file) == ["the donation letter for S1 (DL1) is not signed"]
    done = CliRunner().invoke(main, ["--db", on_file.url, "import", "--correct-documents",
                                     str(signed)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "documents      1 corrected" in done.output and "1 of them correction(s)" in done.output
    assert stored(on_file) == [("DL1", True, "Mayor of Prague", "ab" * 32)]
    [(doc_id, number, was_signed, signatory, replaced_at)] = kept_versions(on_file)
    assert (number, was_signed, signatory) == ("DL1", False, None) and replaced_at is not None
    assert doc_001(on_file) == []
    assert cli_doc_001(on_file) == []
    assert on_file.verify().ok
    # the same file again changes nothing; the API and one posted row correct too
    report = on_file.import_files([signed], correct_documents=True)
    assert report.unchanged == 1 and report.corrected == 0
    report = on_file.import_files([documents(tmp_path, UNSIGNED)], correct_documents=True)
    assert report.corrected == 1 and doc_001(on_file) != []
    row = DocumentRow.model_validate({"kind": "donation_letter", "number": "DL1", "subject": "S1",
                                      "date": "2023-03-01", "signed": "true"})  # fmt: skip
    assert on_file.post(row, correct_documents=True) == "corrected"
    assert stored(on_file) == [("DL1", True, None, None)] and doc_001(on_file) == []
    assert [v[0] for v in kept_versions(on_file)] == [doc_id] * 3
    assert on_file.verify().ok


def test_with_the_flag_other_changed_rows_stay_conflicts(on_file: Ledger, tmp_path):
    """Only documents change: a changed party, rate or shipment line under its key is refused
    as before (each saying its own way to correct it), and the document with them."""
    (tmp_path / "parties.csv").write_text("code,name,kind,country\nPRAGUE,Praha,city,CZ\n",
                                          encoding="utf-8")  # fmt: skip
    (tmp_path / "fx_rates.csv").write_text("date,currency,rate,base,source\n"
                                           "2023-03-01,CZK,1.7,UAH,NBU\n", encoding="utf-8")  # fmt: skip
    (tmp_path / "shipments.csv").write_text(
        "shipment_ref,line_no,dispatch_date,donor,recipient,item,quantity,unit_value,currency,"
        "carrier\nS1,1,2023-03-01,PRAGUE,KYIV,GEN,90,1000,CZK,CARRIER\n", encoding="utf-8")  # fmt: skip
    documents(tmp_path, SIGNED)
    with pytest.raises(ImportRejected) as caught:
        on_file.import_files([tmp_path], correct_documents=True)
    reasons = {e.file.rsplit("/", 1)[-1]: e.reason for e in caught.value.errors}
    assert set(reasons) == {"parties.csv", "fx_rates.csv", "shipments.csv"}, reasons
    assert all(r.startswith("conflict with the record already stored") for r in reasons.values())
    assert "--correct-rates" in reasons["fx_rates.csv"]
    assert "aidledger reverse" in reasons["shipments.csv"]
    assert not any("--correct-documents" in r for r in reasons.values())
    assert stored(on_file) == UNSIGNED_ON_FILE and kept_versions(on_file) == []


def test_a_bad_row_elsewhere_leaves_the_document_as_it_was(on_file: Ledger, tmp_path):
    """All or nothing: the corrected letter is not written when any row of the import fails."""
    shipments = tmp_path / "shipments.csv"
    shipments.write_text(
        "shipment_ref,line_no,dispatch_date,donor,recipient,item,quantity,unit_value,currency,"
        "carrier\nS2,1,2023-03-02,PRAGUE,KYIV,NOSUCH,5,1000,CZK,CARRIER\n", encoding="utf-8")  # fmt: skip
    signed = documents(tmp_path, SIGNED)
    with pytest.raises(ImportRejected) as caught:
        on_file.import_files([signed, shipments], correct_documents=True)
    assert [e.column for e in caught.value.errors] == ["item"]
    assert stored(on_file) == UNSIGNED_ON_FILE and kept_versions(on_file) == []
    assert doc_001(on_file) == ["the donation letter for S1 (DL1) is not signed"]
    assert on_file.verify().ok


def test_document_versions_are_append_only(on_file: Ledger, tmp_path):
    from sqlalchemy import update

    on_file.import_files([documents(tmp_path, SIGNED)], correct_documents=True)
    v = t.DOCUMENT_VERSIONS
    with pytest.raises(Exception, match="append-only"), on_file.engine.begin() as conn:
        conn.execute(update(v).values(signed=True))
    assert [row[2] for row in kept_versions(on_file)] == [False]


def test_revision_0008_goes_down_and_up_again(led: Ledger):
    """The migration makes `document_version` (with its guard) and takes it out again."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from ledger.db.engine import MIGRATIONS_DIR, SCHEMA_HEAD, schema_revision

    def alembic(verb: str, target: str) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with led.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, verb)(cfg, target)

    alembic("downgrade", "0007")
    assert "document_version" not in inspect(led.engine).get_table_names()
    alembic("upgrade", "head")
    assert schema_revision(led.engine) == SCHEMA_HEAD == "0008"
    assert "document_version" in inspect(led.engine).get_table_names()
