"""Signals the registry sends after its services change a record, for the apps built on it.

The registry may not import them (dependencies run ipregistry <- deals <- disclosure): an app
that keeps figures derived from registry records (a deal's search text from its assets'
titles, say) listens here and schedules its own recompute, after commit.
"""

from django.dispatch import Signal

# Sent by ipregistry.services with sender=the model class, instance=the saved record and
# changes={field: [old, new]} (only when something changed).
record_changed = Signal()
