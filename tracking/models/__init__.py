"""The tracking plugin's tables: the statement log and its query index, documents, LRS clients, the forwarding
outbox and progress projections."""
from tracking.models.clients import LrsClient
from tracking.models.documents import Document
from tracking.models.outbox import ForwardCounter, OutboxEntry
from tracking.models.progress import Progress
from tracking.models.statements import (
    Activity,
    Attachment,
    DeriveFailure,
    PendingStatement,
    Statement,
    StatementKey,
)

__all__ = ["Activity", "Attachment", "DeriveFailure", "Document", "ForwardCounter", "LrsClient", "OutboxEntry",
           "PendingStatement", "Progress", "Statement", "StatementKey"]
