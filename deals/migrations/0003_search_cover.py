"""Deal search, second step: a covering index for facet counts, and the index behind
facet_counts' optional cache fingerprint.

- deal_facet_cover (PostgreSQL): every single-valued facet column, led by status (every
  reader's scope filters on it), with id included. Facet counts, COUNT(*) and facet-only
  filters over the deals read it with an index-only scan instead of fetching wide deal rows
  (search text and vector make a row over a kilobyte).
- deal_updated_at_idx: MAX(updated_at), part of deals.search.facet_counts' cache fingerprint.
- deal_facet_value_stats (PostgreSQL): extended statistics on DealFacetValue (facet, value),
  which are not independent ('7.2' only ever is an sdg_target): without them the planner
  underestimates how many deals a facet value selects several times over.

Neither changes model state, so Meta stays as it is and makemigrations stays clean.
"""

from django.db import migrations

from core.migration_ops import RunSQLOn


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0002_search"),
    ]

    operations = [
        RunSQLOn(
            "postgresql",
            "CREATE INDEX IF NOT EXISTS deal_facet_cover ON deals_deal (status, country, "
            "province, structure, label, rating_bucket, issue_year, senior_coupon, size) "
            "INCLUDE (id)",
            "DROP INDEX IF EXISTS deal_facet_cover"),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS deal_updated_at_idx ON deals_deal (updated_at)",
            "DROP INDEX IF EXISTS deal_updated_at_idx"),
        RunSQLOn(
            "postgresql",
            "CREATE STATISTICS IF NOT EXISTS deal_facet_value_stats (mcv, dependencies) "
            "ON facet, value FROM deals_dealfacetvalue",
            "DROP STATISTICS IF EXISTS deal_facet_value_stats"),
    ]
