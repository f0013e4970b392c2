"""ORM models, one module per concept. Importing this package registers every table on ``Base.metadata``."""

from app.db.models.actions import ActionDef
from app.db.models.agent_desk import CannedResponse, CuratedAnswer
from app.db.models.analytics import AnalyticsAggregate
from app.db.models.audit import AuditEvent
from app.db.models.compliance import DsrRequest, LegalHold
from app.db.models.conversations import Conversation, DialogEventRow, Feedback, Handoff, Message
from app.db.models.kb import (
    Chunk,
    Document,
    GoldenQuestion,
    IngestionJob,
    Intent,
    KbCollection,
    KbVersion,
    kb_version_documents,
)
from app.db.models.sources import KbSource, KbSourceItem, KbSourceSync
from app.db.models.sso import OidcIdentity, OidcProvider, OidcSession
from app.db.models.tenancy import ApiKey, AuthSession, Tenant, User, WidgetKey

__all__ = [
    "ActionDef",
    "AnalyticsAggregate",
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "CannedResponse",
    "Chunk",
    "Conversation",
    "CuratedAnswer",
    "DialogEventRow",
    "DsrRequest",
    "Document",
    "Feedback",
    "GoldenQuestion",
    "Handoff",
    "IngestionJob",
    "Intent",
    "KbCollection",
    "KbSource",
    "KbSourceItem",
    "KbSourceSync",
    "KbVersion",
    "LegalHold",
    "Message",
    "OidcIdentity",
    "OidcProvider",
    "OidcSession",
    "Tenant",
    "User",
    "WidgetKey",
    "kb_version_documents",
]
