"""Settings of actions (``ACTIONS__*``): the demo bank's address and secret, timeouts and retries of
bank calls, the life of a customer token and of a one-time code. A tenant's own bank connection (base URL,
secret, SMS gateway, token keys) is set by its admins (``/admin/bank-connection``;
``app.actions.bank_settings``); the demo ones here serve the demo tenant and ``kefu fake-bank``, in
ENVIRONMENT local / test only."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ActionsConfig(BaseModel):
    # The demo bank (``kefu fake-bank``): where it listens and the secret the app sends it.
    fake_bank_host: str = "127.0.0.1"
    fake_bank_port: int = Field(default=8900, ge=1, le=65535)
    # Run the demo bank inside the app's process (``make run`` sets it): no second command for the demo.
    demo_bank_in_process: bool = False
    demo_bank_secret: SecretStr = SecretStr("demo-bank-secret-change-me")
    # The demo tenant's key for customer tokens (HS256); a real tenant sets its own (HS256 and/or RS256)
    # through ``PUT /admin/bank-connection``.
    demo_token_key: SecretStr = SecretStr("demo-customer-token-key-change-me-0123456789")
    # A bank call's deadline; reads (GET) are retried this many times more, writes never (their
    # idempotency key makes a retry by the customer safe, not a silent retry by us).
    bank_timeout_s: float = Field(default=3.0, gt=0, le=60)
    read_retries: int = Field(default=1, ge=0, le=5)
    # Longest accepted life of a customer token (its exp - iat), seconds.
    token_max_age_s: int = Field(default=900, ge=30, le=24 * 3600)
    otp_ttl_s: int = Field(default=300, ge=30, le=3600)
