"""The signal every audited write sends, for the apps that keep figures derived from records.

Dependencies run one way (ipregistry <- deals <- disclosure), so a lower app cannot call the
recompute of a higher one: a deal's search text is made of its assets' titles, its risk of
their valuations and receipts, an issuer's SDG indicators of its financials and filings. The
services send `record_changed` in the transaction of the change; receivers only ask for work
after commit (`core.jobs.after_commit`), never write.
"""

from django.dispatch import Signal

# sender: the model class; instance: the record (deleted ones keep their field values);
# action: "create", "update", "delete" or a service's own verb ("transition", "import");
# changes: {field: [old, new]} for updates, the record's values otherwise.
record_changed = Signal()
