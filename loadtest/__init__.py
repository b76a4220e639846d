"""The load test (`make loadtest`): issuers submitting filings and investors searching deals,
at once, against gunicorn under the production settings on PostgreSQL, on this machine only.

`python -m loadtest.run` builds its own database (`ipsec_loadtest`), prepares the data
(loadtest/prepare.py), serves the site with gunicorn on a free loopback port, drives it with
locust (loadtest/locustfile.py), stops the server, checks the database (loadtest/checks.py:
no error, no lost or duplicated submission, gapless accession numbers, an intact ledger),
writes the "Load test" section of docs/benchmarks.md and drops the database. See
loadtest/run.py.
"""
