"""What the database itself guards in disclosure:

- the filing ledger is append-only: UPDATE of a FilingEvent is refused on every database;
  DELETE is refused on PostgreSQL (a row trigger; TRUNCATE, which only an owner can run, is
  how the test suite empties tables). SQLite cannot tell a test flush from a deletion, so
  there a deleted event is caught by `manage.py verify_ledger` (the chain and the head no
  longer match) instead;
- a submitted filing's answers never change: inserting, updating (and on PostgreSQL deleting)
  a FilingValue of a filing that is not a draft is refused;
- filings are found by full text through a GIN index on PostgreSQL.
"""

from django.db import migrations

from core.migration_ops import RunSQLOn

POSTGRES = """
CREATE FUNCTION disclosure_refuse_ledger_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The filing ledger is append-only: % of event % refused.', TG_OP, OLD.sequence
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disclosure_filingevent_append_only
    BEFORE UPDATE OR DELETE ON disclosure_filingevent
    FOR EACH ROW EXECUTE FUNCTION disclosure_refuse_ledger_change();

CREATE FUNCTION disclosure_refuse_frozen_value() RETURNS trigger AS $$
DECLARE
    filing_status varchar;
BEGIN
    SELECT status INTO filing_status FROM disclosure_filing
        WHERE id = COALESCE(NEW.filing_id, OLD.filing_id);
    IF filing_status IS NOT NULL AND filing_status <> 'draft' THEN
        RAISE EXCEPTION 'Filing % is %: its answers never change.',
            COALESCE(NEW.filing_id, OLD.filing_id), filing_status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disclosure_filingvalue_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON disclosure_filingvalue
    FOR EACH ROW EXECUTE FUNCTION disclosure_refuse_frozen_value();

CREATE INDEX filing_search_vector_gin ON disclosure_filing USING gin (search_vector);
"""
POSTGRES_REVERSE = """
DROP INDEX IF EXISTS filing_search_vector_gin;
DROP TRIGGER IF EXISTS disclosure_filingvalue_frozen ON disclosure_filingvalue;
DROP FUNCTION IF EXISTS disclosure_refuse_frozen_value();
DROP TRIGGER IF EXISTS disclosure_filingevent_append_only ON disclosure_filingevent;
DROP FUNCTION IF EXISTS disclosure_refuse_ledger_change();
"""

SQLITE = [
    """CREATE TRIGGER disclosure_filingevent_append_only
       BEFORE UPDATE ON disclosure_filingevent
       BEGIN SELECT RAISE(ABORT, 'The filing ledger is append-only: UPDATE refused.'); END;""",
    """CREATE TRIGGER disclosure_filingvalue_frozen_insert
       BEFORE INSERT ON disclosure_filingvalue
       WHEN (SELECT status FROM disclosure_filing WHERE id = NEW.filing_id) <> 'draft'
       BEGIN SELECT RAISE(ABORT, 'A submitted filing''s answers never change.'); END;""",
    """CREATE TRIGGER disclosure_filingvalue_frozen_update
       BEFORE UPDATE ON disclosure_filingvalue
       WHEN (SELECT status FROM disclosure_filing WHERE id = OLD.filing_id) <> 'draft'
       BEGIN SELECT RAISE(ABORT, 'A submitted filing''s answers never change.'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS disclosure_filingevent_append_only;",
    "DROP TRIGGER IF EXISTS disclosure_filingvalue_frozen_insert;",
    "DROP TRIGGER IF EXISTS disclosure_filingvalue_frozen_update;",
]


class Migration(migrations.Migration):

    dependencies = [("disclosure", "0001_initial")]

    operations = [
        RunSQLOn("postgresql", POSTGRES, POSTGRES_REVERSE),
        RunSQLOn("sqlite", SQLITE, SQLITE_REVERSE),
    ]
