"""First accounts: one user per role with a generated password, when there are no users."""

from __future__ import annotations

from accounts.identity import UserRole
from accounts.store import SecurityStore
from accounts.tokens import new_password

#: The demo's user names, one per role.
ROLE_USERS = {
    UserRole.OPERATOR: "operator",
    UserRole.PLANNER: "planner",
    UserRole.CREW_MANAGER: "crew_manager",
    UserRole.ADMIN: "admin",
}


async def seed_role_users(store: SecurityStore) -> list[tuple[str, UserRole, str]]:
    """When the store has no users, create one per role; returns ``(name, role, password)``
    of those created (the passwords exist nowhere else), or ``[]`` when users existed."""
    if await store.users.count():
        return []
    made = []
    for role, name in ROLE_USERS.items():
        password = new_password()
        await store.users.add(name, password, role, display_name=f"demo {role.value}")
        await store.audit.record(
            "user.add", user="demo", source_ip="local", detail={"target": name, "role": role}
        )
        made.append((name, role, password))
    return made
