"""Hypothesis fuzzing of the bundle import (issue 7): mutated cells (odd unicode, control
characters, formulas, huge numbers, wrong dates), raw bytes and truncated files either import
or are refused with `file:line: column: reason` problems; nothing else escapes, and a refused
bundle writes nothing."""

import csv
import io

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import AuditEntry
from core.tabular import TableInvalid
from deals.models import Deal
from disclosure.bundle import import_bundle
from disclosure.models import Filing
from disclosure.templates_loader import load_templates
from ipregistry.models import IPAsset, Issuer
from tests.disclosure.test_market_api import _bundle

pytestmark = pytest.mark.django_db

ODD = st.sampled_from([
    "", " ", "=cmd|' /C calc'!A0", "+1", "@SUM(1)", "\u202egnp.exe", "\u200b\u200b", "😀" * 50,
    "9" * 400, "-1", "1e309", "NaN", "2023-02-30", "0000-00-00", "CN-XX", "null", "\x00",
    "a\nb", "\"", ";;;", "ＣＮ", "İ", "ß" * 300, "../../etc/passwd", "<script>x</script>"])
CELL = st.one_of(ODD, st.text(max_size=60))


def _rows(files: dict[str, bytes]) -> dict[str, list[list[str]]]:
    return {name: list(csv.reader(io.StringIO(data.decode()))) for name, data in files.items()}


def _encode(rows: dict[str, list[list[str]]]) -> dict[str, bytes]:
    out = {}
    for name, table in rows.items():
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n").writerows(table)
        out[name] = buffer.getvalue().encode("utf-8", errors="surrogatepass")
    return out


def _counts():
    return (Issuer.objects.count(), IPAsset.objects.count(), Deal.objects.count(),
            Filing.objects.count(), AuditEntry.objects.count())


def _attempt(files):
    before = _counts()
    try:
        with transaction.atomic():
            import_bundle(files)
            transaction.set_rollback(True)  # keep every example independent
    except TableInvalid as refused:
        assert refused.problems, "a refusal names its problems"
        for problem in refused.problems:
            assert str(problem).count(":") >= 2  # file:line: column: reason
        assert _counts() == before, "a refused bundle wrote something"
    assert _counts() == before


@pytest.fixture(scope="module")
def valid_rows(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return _rows(_bundle())


@given(data=st.data())
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_mutated_cells_are_imported_or_refused_cleanly(db, valid_rows, data):
    load_templates()
    rows = {name: [list(row) for row in table] for name, table in valid_rows.items()}
    for _ in range(data.draw(st.integers(1, 4))):
        name = data.draw(st.sampled_from(sorted(rows)))
        table = rows[name]
        if len(table) < 2:
            continue
        line = data.draw(st.integers(1, len(table) - 1))
        column = data.draw(st.integers(0, len(table[line]) - 1))
        table[line][column] = data.draw(CELL)
    _attempt(_encode(rows))


@given(name=st.sampled_from(["deals.csv", "assets.csv", "filing_values.csv", "issuers.csv"]),
       garbage=st.binary(max_size=300))
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_raw_bytes_are_refused_cleanly(db, valid_rows, name, garbage):
    load_templates()
    files = _encode(valid_rows)
    files[name] = garbage
    _attempt(files)


@given(cut=st.integers(min_value=1, max_value=400))
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_truncated_files_are_refused_cleanly(db, valid_rows, cut):
    load_templates()
    files = _encode(valid_rows)
    files["deals.csv"] = files["deals.csv"][:cut]
    _attempt(files)
