"""Faults and hostile input (issue 7): a database that cannot be reached gives a clear 503
(page or JSON) and writes nothing; errors never show a trace, a query or a path; exports defuse
text a spreadsheet would run as a formula."""

import csv
import io
from contextlib import contextmanager

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.urls import path

from core import exports
from core.errors import server_error
from disclosure.models import Filing
from tests.core.test_jobs import own_broker  # noqa: F401  (a fixture)
from tests.disclosure.conftest import esg_template, templates  # noqa: F401  (fixtures)


@contextmanager
def database_unreachable():
    """Point the default connection at a database that does not answer, then restore it."""
    settings = connection.settings_dict
    saved = dict(settings)
    connection.close()
    if connection.vendor == "postgresql":
        settings["PORT"] = "1"  # nothing listens there
    else:
        settings["NAME"] = "/nonexistent-directory/registry.sqlite3"
    try:
        yield
    finally:
        connection.close()
        settings.clear()
        settings.update(saved)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_a_clear_503_page_and_json(user_a, issuer_a):
    client = Client(raise_request_exception=False)
    client.force_login(user_a)
    filings_before = Filing.objects.count()
    with database_unreachable():
        page = client.get("/deals/")
        api = client.get("/api/v1/deals/")
        post = client.post("/disclosure/filings/new/", {"issuer": issuer_a.pk,
                                                        "period": "2024"})
    assert page.status_code == 503 and page["Retry-After"] == "60"
    body = page.content.decode()
    assert "Temporarily unavailable" in body and "Traceback" not in body
    assert "sqlite" not in body.lower() and "postgres" not in body.lower()
    assert api.status_code == 503 and api.json() == {
        "detail": "The database cannot be reached; try again in a minute."}
    assert post.status_code == 503
    assert Filing.objects.count() == filings_before
    assert client.get("/deals/").status_code == 200  # back once the database answers


def _boom(request):
    raise RuntimeError("secret path /etc/registry/settings.py and SELECT * FROM core_user")


urlpatterns = [path("boom/", _boom), path("api/v1/boom/", _boom)]
handler500 = server_error


@pytest.mark.urls("tests.core.test_faults")
def test_errors_show_no_trace_query_or_path(db, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    for url in ("/boom/", "/api/v1/boom/"):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 500
        assert "secret" not in body and "SELECT" not in body and "Traceback" not in body
        assert "/etc/" not in body
    assert client.get("/api/v1/boom/").json()["detail"].startswith("Something went wrong")


@pytest.mark.parametrize("value, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"),
    ("-12.5", "-12.5"), ("Plain title", "Plain title"), ("漢字 ü", "漢字 ü")])
def test_exports_defuse_formulas(value, written):
    response = exports.csv_response("x.csv", ["cell"], [[value]])
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == [written]
    book = openpyxl.load_workbook(io.BytesIO(
        exports.xlsx_response("x.xlsx", ["cell"], [[value]]).content))
    cell = book.active.cell(row=2, column=1)
    assert cell.value == written and cell.data_type != "f"


def test_with_redis_down_pages_and_submissions_work_and_recomputes_follow(
        own_broker, client, user_a, issuer_a, esg_template,  # noqa: F811  (fixtures)
        django_capture_on_commit_callbacks):
    """Redis stopped: the filing is submitted all the same; the recomputes it asks for wait in
    the outbox and reach the broker once Redis answers again."""
    from core import jobs
    from core.models import OutboxJob
    from disclosure import services
    from tests.core.test_jobs import _reset_broker_connections
    from tests.disclosure.conftest import answers

    draft = services.filing_create(actor=user_a, issuer=issuer_a, template=esg_template,
                                   period="2024")
    services.filing_save_answers(actor=user_a, filing=draft, answers=answers())
    own_broker.stop()
    client.force_login(user_a)
    assert client.get("/deals/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/disclosure/filings/{draft.pk}/submit/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.accession_number
    waiting = OutboxJob.objects.filter(attempts__gte=1)
    assert waiting.exists()  # refused by the stopped broker, kept
    own_broker.start()
    _reset_broker_connections()
    assert jobs.relay() >= waiting.count()
    assert jobs.pending() == 0 and own_broker.queued() >= 1
