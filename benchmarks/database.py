"""A PostgreSQL database of a tool's own (the benchmark's, the load test's): created afresh and
dropped afterwards. A name without the tool's marker is refused, so that no run can drop a
database it did not make (the test suite's, a developer's)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def maintenance_url(url: str, marker: str) -> tuple[str, str]:
    """The server's maintenance database URL and the tool's database name (refused unless it
    contains `marker`)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or marker not in name or name in ("test", "test_test"):
        raise SystemExit(f"Refusing database {name!r}: this tool creates and drops its own "
                         f"database, whose name must contain {marker!r}.")
    return urlunsplit(parts._replace(path="/postgres", query="")), name


def libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def create_database(url: str, marker: str) -> None:
    """Drop the database if it exists, then create it empty."""
    import psycopg

    maintenance, name = maintenance_url(url, marker)
    with psycopg.connect(libpq(maintenance), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str, marker: str) -> None:
    import psycopg

    maintenance, name = maintenance_url(url, marker)
    with psycopg.connect(libpq(maintenance), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
