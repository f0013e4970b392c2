"""Schemas of the widget's routes beyond the turn (cited passages, ending the chat)."""

from __future__ import annotations

from pydantic import BaseModel


class PassagePublic(BaseModel):
    chunk_id: str
    title: str
    text: str  # shown as text, never as HTML
    document_id: str
    source: str


class ConversationEnded(BaseModel):
    conversation_id: str
    status: str
    outcome: str
