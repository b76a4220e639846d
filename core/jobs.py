"""Background work scheduled by writes: once per key, after the transaction commits.

A service that changes an input calls `after_commit(task, key)`; however many times a
transaction asks for the same (task, key), the task is enqueued once, when it commits (at
once, outside a transaction), and never if it rolls back. So a bulk import touching 10,000
rows of one deal enqueues one recompute of that deal.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, transaction


class _Pending:
    def __init__(self):
        self.keys: dict[str, tuple[object, set]] = {}

    def flush(self):
        keys, self.keys = self.keys, {}
        for task, wanted in keys.values():
            for key in sorted(wanted):
                task.delay(key)


def after_commit(task, key, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Enqueue `task.delay(key)` once after the current transaction commits."""
    connection = connections[using]
    if not connection.in_atomic_block:
        task.delay(key)
        return
    pending = getattr(connection, "_pending_jobs", None)
    registered = pending is not None and any(
        callback == pending.flush for _, callback, _ in connection.run_on_commit)
    if not registered:
        pending = connection._pending_jobs = _Pending()
        transaction.on_commit(pending.flush, using=using)
    pending.keys.setdefault(task.name, (task, set()))[1].add(key)
