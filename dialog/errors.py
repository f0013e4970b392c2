"""Errors of the dialog layer."""

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


class ConversationClosedError(DialogError):
    code = "conversation_closed"
