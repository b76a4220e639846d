"""The benchmark (`make bench`): bulk load, investor search, indicators and market analytics
on PostgreSQL.

`python -m benchmarks.run --scale 1.0` builds its own database (`ipsec_bench`), loads 100,000
deals over 1,000,000 pooled assets with COPY, compares with per-row ORM saves, times ten
investor searches against the same searches done the Django-admin way, then the risk
simulation's throughput, the risk and SDG recompute (on a sample, extrapolated), the market
snapshot and the market endpoint and page (benchmarks/indicators.py), writes
docs/benchmarks.md and drops the database. See benchmarks/run.py.
"""
