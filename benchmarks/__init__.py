"""The deal-search benchmark (`make bench`): bulk load on PostgreSQL and investor searches.

`python -m benchmarks.run --scale 1.0` builds its own database (`ipsec_bench`), loads 100,000
deals over 1,000,000 pooled assets with COPY, compares with per-row ORM saves, times ten
investor searches against the same searches done the Django-admin way, writes
docs/benchmarks.md and drops the database. See benchmarks/run.py.
"""
