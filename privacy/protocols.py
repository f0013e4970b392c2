"""The seams of the privacy layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from privacy.types import Finding, MaskResult, OutputCheck, VaultState


@runtime_checkable
class PiiMasker(Protocol):
    """Detects and reversibly masks PII. Sync and CPU-bound (call it via ``asyncio.to_thread``); engines
    load in ``warm_up()``, and every other method raises ``MaskerNotReady`` before it.

    - ``analyze`` returns findings sorted by ``start``, non-overlapping, with offsets into ``text``, for
      text in ``lang`` ("zh", "en") or, when ``lang`` is None, the detected language(s) (mixed text: both,
      merged). Empty text gives ``[]``. Placeholders already in the text are never findings.
    - ``mask`` replaces every finding with a placeholder ``<TYPE_N>``; the same value gets the same
      placeholder for the life of ``vault`` (new values are added to ``vault`` in place, numbered per type
      from 1 in order of appearance). ``MaskResult.findings`` carry offsets into the *input* text.
    - ``unmask`` restores only placeholders present in ``vault``; unknown placeholders stay as they are.
    - ``check_output`` is applied to every model output before anyone sees it: this conversation's
      placeholders are kept in ``masked`` and restored in ``restored``; any other PII is replaced by a
      ``<TYPE>`` marker (never restorable) in both and counted in ``leaked``. ``vault`` is not changed.
      ``allowed_text`` is the bank's KB text the answer was built from: a name or place (the types the
      ingestion scan leaves in KB text, ``PrivacyConfig.ingestion_skip_types``) found verbatim in it stays
      as written and is not counted; identifiers are redacted even when a passage holds them.
    - ``stream_guard`` returns a fresh guard for one streamed reply (``allowed_text`` as for ``check_output``).
    """

    def warm_up(self) -> None: ...

    def analyze(self, text: str, lang: str | None = None) -> list[Finding]: ...

    def mask(self, text: str, vault: VaultState, lang: str | None = None) -> MaskResult: ...

    def unmask(self, text: str, vault: VaultState) -> str: ...

    def check_output(
        self, text: str, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> OutputCheck: ...

    def stream_guard(
        self, vault: VaultState, lang: str | None = None, *, allowed_text: Sequence[str] = ()
    ) -> StreamGuard: ...


@runtime_checkable
class StreamGuard(Protocol):
    """Checks a streamed model output chunk by chunk.

    ``feed(chunk)`` returns the customer-safe text that can be emitted now (possibly empty: text that might
    be the beginning of a PII value or a placeholder is held back); ``finish()`` returns the rest and the
    ``OutputCheck`` of the whole output. A value split across chunks is never emitted in clear. The
    concatenation of everything returned equals ``OutputCheck.restored``. ``feed`` after ``finish`` and a
    second ``finish`` raise ``RuntimeError``. ``needs_check(chunk)`` says, changing nothing, whether
    ``feed(chunk)`` would run the (CPU-bound) output check; when it is False, ``feed(chunk)`` returns ""
    at once and may be called on the event loop.
    """

    def needs_check(self, chunk: str) -> bool: ...

    def feed(self, chunk: str) -> str: ...

    def finish(self) -> tuple[str, OutputCheck]: ...


@runtime_checkable
class VaultStore(Protocol):
    """Persists one ``VaultState`` per conversation, encrypted, expiring ``ttl_s`` after the last save.

    ``load`` of an unknown or expired conversation returns an empty state (``version`` 0); ``load`` sets
    ``VaultState.version``. ``save`` succeeds only if the stored version still equals ``vault.version``
    (then bumps both), else raises ``VaultConflict``. Raises ``VaultUnavailable`` when the backing store is
    down, ``VaultCorrupt`` when a stored vault cannot be decrypted (wrong key, another conversation's
    vault, tampering), ``ValueError`` for an empty or over-long (> 200 characters) conversation id.
    ``delete`` of an unknown conversation is a no-op.
    """

    async def load(self, conversation_id: str) -> VaultState: ...

    async def save(self, conversation_id: str, vault: VaultState) -> None: ...

    async def delete(self, conversation_id: str) -> None: ...
