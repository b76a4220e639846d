"""Keep a deal's heap row narrow for the search (PostgreSQL).

Ranking a search reads every matching deal's `search_vector` from the table; a deal also
carries its cash-flow model (JSON) and four search-text columns that the ranked page never
reads. With toast_tuple_target at 256 bytes, PostgreSQL moves those wide columns out of line
(compressed) when a row is written, and `search_vector`, stored MAIN, is the last it would move,
so the rows a search scans stay small. Rows written before this take the new layout when next
updated (every service write updates the deal). SQLite has no such storage: nothing to do.
"""

from django.db import migrations

from core.migration_ops import RunSQLOn

FORWARD = """
ALTER TABLE deals_deal SET (toast_tuple_target = 256);
ALTER TABLE deals_deal ALTER COLUMN search_vector SET STORAGE MAIN;
"""
BACKWARD = """
ALTER TABLE deals_deal RESET (toast_tuple_target);
ALTER TABLE deals_deal ALTER COLUMN search_vector SET STORAGE EXTENDED;
"""


class Migration(migrations.Migration):

    dependencies = [("deals", "0004_risk_snapshots")]

    operations = [RunSQLOn("postgresql", FORWARD, BACKWARD)]
