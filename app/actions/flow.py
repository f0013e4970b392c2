"""An action inside the chat turn, in two steps.

``ActionTurn.hook`` runs while the customer's message is accepted, inside the conversation's
compare-and-set write: it checks a one-time code and reads the message against the action under way
(``dialog.actions.step``). A confirmation is therefore an event committed with the "yes" itself: of two
copies of the same "yes" sent at once, only one commits ``ActionConfirmed`` (the other is rebuilt on the
state after it and confirms nothing).

``ActionTurn.respond`` then says what happens next, one thing at a time: refuse an unverified customer,
ask for a missing or wrong parameter (a single card on file fills "my card"), send and check a one-time
code for ``step_up``, read the action back, and call the bank only in the turn that committed the
confirmation, with that confirmation's key as the idempotency key. The card number and other values reach
the bank restored from the vault; the events, the messages and the audit row keep them masked.
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator

from app.actions import identity, replies
from app.actions.bank import BankClient, BankResult
from app.actions.catalogue import Action, BankConnection, Catalogue
from app.chat.records import AcceptedTurn
from app.container import Container
from app.db import crud_audit
from app.settings import DEV_ENVIRONMENTS
from dialog import actions as dialog_actions
from dialog.events import (
    ActionCancelled,
    ActionConfirmAsked,
    ActionConfirmed,
    ActionFinished,
    Event,
    OtpChecked,
    OtpSent,
    SlotSet,
)
from dialog.protocols import Decision
from dialog.state import OTP_ATTEMPTS, DialogState

logger = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")


@dataclass(frozen=True, slots=True)
class ActionReply:
    """The bot's reply about an action: masked (stored) and restored (shown) text, the decision, and the
    events to append before its ``BotSaid``."""

    masked: str
    decision: Decision
    events: list[Event] = field(default_factory=list)
    action: str = ""  # the action this reply is about
    args: dict[str, str] = field(default_factory=dict)  # its parameters so far (masked)
    # The knowledge base answers first (how the customer can do it themselves: the app, the hotline), then
    # this reply follows: an unverified customer's request, which the assistant may not do for them.
    kb_first: bool = False

    @property
    def outcome(self) -> str:
        """executed | failed | refused_unverified | refused_locked | invalid (``ActionFinished``), else
        where it stands: cancelled | confirming | asking."""
        for e in self.events:
            if isinstance(e, ActionFinished):
                return e.outcome
        if any(isinstance(e, ActionConfirmAsked) for e in self.events):
            return "confirming"
        return "cancelled" if self.decision.reason == "action_cancelled" else "asking"


@dataclass
class ActionTurn:
    container: Container
    tenant_id: str
    conversation_id: str
    catalogue: Catalogue
    conn: BankConnection
    emitted: list[Event] = field(default_factory=list)  # this turn's hook events (its last build's)
    filled: list[Event] = field(default_factory=list)  # parameters this reply filled (one card on file)

    @property
    def _bank(self) -> BankClient:
        cfg = self.container.settings.actions
        return BankClient(timeout_s=cfg.bank_timeout_s, read_retries=cfg.read_retries)

    # --- inside the accept write --------------------------------------------------------------------------

    def hook(self, state: DialogState, masked_text: str) -> list[Event]:
        """The action events for this message (pure but for the clock and the app's secret)."""
        now = datetime.now(UTC)
        events: list[Event] = []
        ident = state.identity
        if ident.otp_digest and not ident.stepped_up and not ident.otp_locked:
            code = identity.code_in(masked_text)
            if code is not None:
                secret = self.container.settings.secret_key.get_secret_value()
                fresh = ident.otp_expires_at is not None and now <= ident.otp_expires_at
                ok = fresh and hmac.compare_digest(
                    identity.code_digest(secret, self.conversation_id, code), ident.otp_digest
                )
                self.emitted = [OtpChecked(ok=ok)]
                return list(self.emitted)
        a = state.action
        events = dialog_actions.step(
            action_name=a.name if a else None,
            stage=a.stage if a else None,
            key=a.key if a else "",
            asked_at=a.asked_at if a else None,
            pending_slot=state.pending_slot,
            args=a.args if a else {},
            text=masked_text,
            specs=self.catalogue.specs,
            now=now,
        )
        self.emitted = events
        return list(events)

    # --- after it ----------------------------------------------------------------------------------------

    async def respond(self, user: AcceptedTurn) -> ActionReply | None:
        """The reply when this message is about an action; None when it is not (the usual turn runs)."""
        s, mine = user.state, self.emitted
        lang = (user.track.lang if user.track else "") or s.lang
        cancelled = next((e for e in mine if isinstance(e, ActionCancelled)), None)
        # A person asked for (转人工, "agent"); not when the message answers the question asked ("4321" may
        # look like anything to an intent classifier).
        answered = any(isinstance(e, SlotSet) for e in mine)
        if user.track is not None and user.track.explicit_handoff and not answered:
            if s.action is None or s.action.stage != "collecting":
                return None  # the usual turn hands off (a read-back being answered was cancelled already)
            text = replies.say("to_agent", lang)
            stop = ActionCancelled(name=s.action.name, reason="customer")
            handoff = Decision(action="handoff", reason="explicit_request", message=text)
            return ActionReply(text, handoff, [stop], action=s.action.name)
        if s.action is None:
            if cancelled is not None:
                key = {"expired": "expired", "not_confirmed": "not_confirmed"}.get(
                    cancelled.reason, "cancelled"
                )
                done = Decision(action="answer", reason="action_cancelled")
                return ActionReply(replies.say(key, lang), done, action=cancelled.name)
            return None
        action = self.catalogue.actions.get(s.action.name)
        if action is None:
            return None
        reply = await self._respond(action, s, lang, user, mine, cancelled)
        args = {**s.action.args, **{e.name: e.value for e in self._pre() if isinstance(e, SlotSet)}}
        shown = {k: v for k, v in args.items() if k in action.parameters.get("properties", {})}
        return ActionReply(reply.masked, reply.decision, reply.events, action.name, shown, reply.kb_first)

    async def _respond(
        self,
        action: Action,
        s: DialogState,
        lang: str,
        user: AcceptedTurn,
        mine: list[Event],
        cancelled: ActionCancelled | None,
    ) -> ActionReply:
        assert s.action is not None
        prefix = replies.say("cancelled", lang) + " " if cancelled is not None else ""
        confirmed_now = any(isinstance(e, ActionConfirmed) for e in mine)
        if s.action.stage != "collecting" and not confirmed_now:
            return ActionReply(
                replies.say("in_progress", lang), Decision(action="answer", reason="action_busy")
            )
        what = replies.what(action, lang, dict(s.action.args))
        if action.verification != "none" and not s.identity.customer_id:
            finish = ActionFinished(name=action.name, outcome="refused_unverified")
            text = replies.say("unverified", lang, what=what)
            if action.handoff_after:  # a lost card is urgent: a person takes it from here
                urgent = Decision(action="handoff", reason="urgent_topic", message=text)
                return ActionReply(text, urgent, [finish], kb_first=True)
            refused = Decision(action="answer", reason="action_unverified", message=text)
            return ActionReply(text, refused, [finish], kb_first=True)
        # The confirming turn executes what was read back (checked then): no new question now.
        reply = None if confirmed_now else await self._collect(action, s, lang, user)
        if reply is None:
            reply = await self._step_up(action, s, lang, mine)
        if reply is None:
            reply = (
                await self._execute(action, s, lang, user, confirmed_now)
                if confirmed_now or not action.confirm
                else self._read_back(action, s, lang)
            )
        if not prefix:
            return reply
        return ActionReply(prefix + reply.masked, reply.decision, reply.events, kb_first=reply.kb_first)

    async def _cards(self, customer_id: str) -> list[dict[str, Any]] | None:
        listing = self.catalogue.actions.get("card_list")
        if listing is None:
            return []
        got = await self._bank.call(self.conn, listing.http, customer_id=customer_id, args={}, key="")
        if got.status != "ok":
            return None
        return [c for c in got.body.get("cards", []) if isinstance(c, dict)]

    async def _collect(
        self, action: Action, s: DialogState, lang: str, user: AcceptedTurn
    ) -> ActionReply | None:
        """Ask for the first missing or wrong parameter (one question); fill "my card" from the cards on
        file. None when every parameter is there and valid."""
        assert s.action is not None
        assert s.identity.customer_id is not None
        args, props = dict(s.action.args), action.parameters.get("properties", {})
        events: list[Event] = []
        if "card_last4" in props:
            cards = await self._cards(s.identity.customer_id)
            if cards is None:
                return self._failed(action, lang, "unavailable", "")
            if not cards:
                return ActionReply(
                    replies.say("no_cards", lang), Decision(action="answer", reason="action_invalid"),
                    [ActionFinished(name=action.name, outcome="invalid")],
                )  # fmt: skip
            if (
                "card_last4" not in args
            ):  # a whole card number: masked in the text, its last four from the vault
                last4 = self._last4_from_vault(user)
                if last4 is not None:
                    args["card_last4"] = last4
                    events.append(SlotSet(name="card_last4", value=last4))
            kind = args.get("card_type")
            fitting = [c for c in cards if not kind or c.get("kind") == kind] or cards
            given = args.get("card_last4")
            if given is None and len(fitting) == 1:
                args["card_last4"] = str(fitting[0]["last4"])
                events.append(SlotSet(name="card_last4", value=args["card_last4"]))
            elif given is None or given not in {str(c.get("last4")) for c in cards}:
                options = (" / " if lang != "zh" else "、").join(replies.card_label(c, lang) for c in fitting)
                ask = replies.say("ask_card", lang, options=options)
                text = replies.say("no_such_card", lang, last4=given, ask=ask) if given else ask
                return ActionReply(text, Decision(action="clarify", clarify_slot="card_last4"), events)
        for name in action.required:
            if name == "card_last4":
                continue
            if name not in args:
                question = {"reference": "ask_reference", "amount": "ask_amount"}.get(name)
                text = replies.say(question, lang) if question else replies.say("bad_value", lang, ask=name)
                return ActionReply(text, Decision(action="clarify", clarify_slot=name), events)
        bad = _first_invalid(action, args)
        if bad is not None:
            if bad == "amount":
                text = replies.say("bad_amount", lang)
            else:
                again = replies.say("ask_reference", lang) if bad == "reference" else bad
                text = replies.say("bad_value", lang, ask=again)
            return ActionReply(text, Decision(action="clarify", clarify_slot=bad), events)
        self.filled = events  # filled from the cards on file: the steps after this one use them
        return None

    def _last4_from_vault(self, user: AcceptedTurn) -> str | None:
        """The last four digits of a card number the customer typed in this message: the masker replaced
        it with a placeholder; the value comes back from the vault here only, and only its last four
        digits (what the customer and the bank call the card by) go on into the dialog."""
        for placeholder in _PLACEHOLDER.findall(user.masked.text):
            digits = re.sub(r"[\s-]", "", self.container.masker.unmask(placeholder, user.vault))
            if digits.isdigit() and 13 <= len(digits) <= 19:
                return digits[-4:]
        return None

    async def _step_up(
        self, action: Action, s: DialogState, lang: str, mine: list[Event]
    ) -> ActionReply | None:
        ident = s.identity
        if action.verification != "step_up" or ident.stepped_up:
            return None
        assert ident.customer_id is not None
        pre = self._pre()
        if ident.otp_locked:
            return ActionReply(
                replies.say("otp_locked", lang), Decision(action="answer", reason="action_locked"),
                [*pre, ActionFinished(name=action.name, outcome="refused_locked")],
            )  # fmt: skip
        checked = next((e for e in mine if isinstance(e, OtpChecked)), None)
        now = datetime.now(UTC)
        live = bool(ident.otp_digest) and ident.otp_expires_at is not None and now <= ident.otp_expires_at
        if checked is not None and not checked.ok and live:
            left = OTP_ATTEMPTS - ident.otp_failures
            return ActionReply(
                replies.say("otp_wrong", lang, left=left), Decision(action="answer", reason="action_otp"), pre
            )
        if live and checked is None:
            return ActionReply(
                replies.say("otp_sent", lang), Decision(action="answer", reason="action_otp"), pre
            )
        code = identity.new_code()
        text = f"Your verification code is {code}. 验证码{code}，5分钟内有效。"
        if not await self._bank.send_sms(self.conn, customer_id=ident.customer_id, text=text):
            return self._failed(action, lang, "sms_unavailable", "", key_text="sms_down")
        secret = self.container.settings.secret_key.get_secret_value()
        sent = OtpSent(
            digest=identity.code_digest(secret, self.conversation_id, code),
            expires_at=now + timedelta(seconds=self.container.settings.actions.otp_ttl_s),
        )
        key = "otp_expired" if ident.otp_digest and checked is not None else "otp_sent"
        body = replies.say(key, lang) + (" " + replies.say("otp_sent", lang) if key == "otp_expired" else "")
        return ActionReply(body, Decision(action="answer", reason="action_otp"), [*pre, sent])

    def _pre(self) -> list[Event]:
        return list(self.filled)

    def _read_back(self, action: Action, s: DialogState, lang: str) -> ActionReply:
        assert s.action is not None
        args = {**s.action.args, **{e.name: e.value for e in self._pre() if isinstance(e, SlotSet)}}
        asked = ActionConfirmAsked(name=action.name, args=args, key=uuid.uuid4().hex)
        text = replies.say("readback", lang, what=replies.what(action, lang, args))
        return ActionReply(text, Decision(action="answer", reason="action_readback"), [*self._pre(), asked])

    async def _execute(
        self, action: Action, s: DialogState, lang: str, user: AcceptedTurn, confirmed_now: bool
    ) -> ActionReply:
        assert s.action is not None
        assert s.identity.customer_id is not None
        masked_args = {**s.action.args, **{e.name: e.value for e in self._pre() if isinstance(e, SlotSet)}}
        props = action.parameters.get("properties", {})
        key = s.action.key if confirmed_now else uuid.uuid4().hex
        # The values go to the bank restored from the vault (a card or reference the masker took).
        clear = {k: self.container.masker.unmask(v, user.vault) for k, v in masked_args.items() if k in props}
        typed = _typed(action, clear)
        body = {f: typed[p] for f, p in action.http.body.items() if p in typed} or None
        got = await self._bank.call(
            self.conn, action.http, customer_id=s.identity.customer_id, args=clear, key=key, body=body
        )
        await self._audit(action, masked_args, got, key)
        if got.status != "ok":
            return self._failed(action, lang, got.status, key, args=masked_args, got=got)
        text = replies.result_text(
            action, lang, got.body, {k: v for k, v in masked_args.items() if k in props}
        )
        done = ActionFinished(name=action.name, outcome="executed", key=key)
        if action.handoff_after:
            return ActionReply(
                text, Decision(action="handoff", reason="urgent_topic", message=text), [*self._pre(), done]
            )
        return ActionReply(text, Decision(action="answer", reason="action_executed"), [*self._pre(), done])

    def _failed(
        self, action: Action, lang: str, status: str, key: str, *, args: dict[str, str] | None = None,
        got: BankResult | None = None, key_text: str = "",
    ) -> ActionReply:  # fmt: skip
        args = args or {}
        if key_text:
            text = replies.say(key_text, lang)
        elif status == "not_found" and "reference" in args:
            text = replies.say("not_found_transfer", lang, reference=args["reference"])
        elif status == "not_found":
            text = replies.say("no_cards", lang)
        elif status == "rejected":
            reason = str((got.body if got else {}).get("error", "")) or "-"
            text = replies.say("rejected", lang, reason=reason)
        else:
            text = replies.say("bank_down", lang)
        finished = ActionFinished(name=action.name, outcome="failed", key=key, detail=status)
        return ActionReply(text, Decision(action="answer", reason="action_failed"), [*self._pre(), finished])

    async def _audit(self, action: Action, masked_args: dict[str, str], got: BankResult, key: str) -> None:
        """One audit row per bank call: the action, masked arguments, result, key, latency."""
        shown = {k: _mask_value(k, v) for k, v in masked_args.items()}
        async with self.container.sessions() as session:
            await crud_audit.record(
                session,
                tenant_id=self.tenant_id,
                actor_type="customer",
                actor_id=None,
                action="action.call",
                target_type="conversation",
                target_id=self.conversation_id,
                data={
                    "action": action.name,
                    "args": shown,
                    "result": got.status,
                    "http_status": got.http_status,
                    "idempotency_key": key,
                    "latency_ms": round(got.latency_ms, 1),
                    "attempts": got.attempts,
                },
            )
            await session.commit()
        self.container.metrics.actions.labels(action=action.name, outcome=got.status).inc()


def _mask_value(name: str, value: str) -> str:
    """An argument as the audit log shows it: placeholders as they are, card digits as ``**8888`` (the
    last four are what the customer and the bank call the card by), a reference with its middle hidden."""
    if value.startswith("<"):
        return value
    if name == "card_last4":
        return "**" + value
    if len(value) > 6:
        return value[:4] + "*" * (len(value) - 7) + value[-3:]
    return value


def _typed(action: Action, args: dict[str, str]) -> dict[str, Any]:
    props = action.parameters.get("properties", {})
    out: dict[str, Any] = {}
    for k, v in args.items():
        kind = props.get(k, {}).get("type")
        try:
            if kind == "integer":
                num = float(v.split()[0].replace(",", ""))
                out[k] = int(num) if num == int(num) else num
                continue
            if kind == "number":
                out[k] = float(v.split()[0].replace(",", ""))
                continue
        except (ValueError, IndexError):
            pass
        out[k] = v
    return out


def _first_invalid(action: Action, args: dict[str, str]) -> str | None:
    props = action.parameters.get("properties", {})
    typed = _typed(action, {k: v for k, v in args.items() if k in props})
    errors = sorted(Draft202012Validator(action.parameters).iter_errors(typed), key=lambda e: list(e.path))
    for err in errors:
        if err.path:
            return str(err.path[0])
    return None


async def prepare(container: Container, *, tenant_id: str, conversation_id: str) -> ActionTurn | None:
    """The turn's action step for a tenant with actions in its catalogue; None for one without."""
    from app.actions import bank_settings
    from app.actions import catalogue as catalogues

    async with container.sessions() as session:
        cat = await catalogues.load(session, tenant_id=tenant_id)
        if not cat.actions:
            return None
        demo = container.settings.environment in DEV_ENVIRONMENTS
        conn = await bank_settings.connection(
            session,
            tenant_id=tenant_id,
            config=container.settings.actions,
            secret_key=container.settings.secret_key.get_secret_value(),
            demo_secrets=demo,
        )
    if not conn.secret:  # no bank credentials: the tenant's actions are not offered
        return None
    return ActionTurn(container, tenant_id, conversation_id, cat, conn)
