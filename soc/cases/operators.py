"""Who changes platform configuration (sites, feeds, source intervals): an admin in the UI, or
the local operator at the CLI, who has the server's files anyway and is audited as "system"."""

from __future__ import annotations

from soc.cases.audit import SYSTEM
from soc.cases.scope import require_admin
from soc.model.agency import Principal


def admin_actor(principal: Principal | None, action: str) -> str:
    """The audit actor for `action`; raises `Forbidden` for a principal who is not an admin."""
    if principal is None:
        return SYSTEM
    require_admin(principal, action)
    return principal.username
