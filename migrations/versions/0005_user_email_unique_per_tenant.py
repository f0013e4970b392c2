"""users.email unique per tenant, not across tenants

Creating a user whose e-mail belonged to another tenant answered 409, which told any tenant's admin which
addresses the other tenants use (issue 12). The address is now unique within its tenant; a login with an
address that two tenants use finds the user by the password (``app.auth.service.login``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_email", type_="unique")
        batch_op.create_unique_constraint("uq_users_tenant_id_email", ["tenant_id", "email"])
        batch_op.create_index("ix_users_email", ["email"], unique=False)


def downgrade() -> None:
    # Fails (as it should) while an address is used by two tenants.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_email")
        batch_op.drop_constraint("uq_users_tenant_id_email", type_="unique")
        batch_op.create_unique_constraint("uq_users_email", ["email"])
