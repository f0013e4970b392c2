"""Errors of the dialog layer: one base, each subclass with a stable ``code``.

The app maps them onto its ``ErrorCode`` (``VersionConflict`` -> 409 ``conflict``, ``StoreUnavailable``
and ``ChannelUnavailable`` -> 503 ``store_unavailable``, ``ConversationClosedError`` -> 409
``conversation_closed``).
"""

from __future__ import annotations


class DialogError(Exception):
    code = "dialog_error"


class VersionConflict(DialogError):
    """Another writer appended first. Reload, re-apply and retry, or report a 409."""

    code = "version_conflict"

    def __init__(self, conversation_id: str, expected: int, actual: int) -> None:
        super().__init__(f"conversation {conversation_id}: expected version {expected}, store has {actual}")
        self.conversation_id = conversation_id
        self.expected = expected
        self.actual = actual


class StoreUnavailable(DialogError):
    """The backing store (Redis) is unreachable; failures are loud, never silently in-memory."""

    code = "store_unavailable"


class ChannelUnavailable(StoreUnavailable):
    """The event channel's backend (Redis pub/sub) is unreachable."""

    code = "channel_unavailable"


class StoreCorrupt(DialogError):
    """A stored event could not be parsed (written by an incompatible version, or tampered with)."""

    code = "store_corrupt"


class ConversationClosedError(DialogError):
    """The conversation is closed; a new customer message needs a new conversation."""

    code = "conversation_closed"


class IntentConfigError(DialogError):
    """A tenant's intent set is unusable (empty, duplicate names, an intent without examples...)."""

    code = "intent_config_error"


class NotTrained(DialogError):
    """The intent classifier was used before ``fit``."""

    code = "not_trained"
