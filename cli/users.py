"""``metro-ops users …``: accounts of the web UI and the API — add, passwd, list, role, token,
unlock, disable, enable.

Each command opens the database of the settings (``db.url``, migrating it if needed) and leaves
an audit record (user ``<you> (cli)``, source ``local``). Passwords are prompted twice without
echo, or read from the first line of standard input with ``--password-stdin`` (for scripts).
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from accounts import AccountError, PasswordRejected, SecurityStore, User
from accounts.identity import UserRole
from cli.common import cli_settings as _settings
from line.clock import HANOI

app = typer.Typer(
    name="users",
    help="User accounts and API tokens.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML settings file (env METRO_* overrides it)"),
]
NameArg = Annotated[str, typer.Argument(help="user name (log-in name)")]
StdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="read the password from the first line of stdin"),
]
T = TypeVar("T")


def _run(
    config: Path | None,
    work: Callable[[SecurityStore], Awaitable[T]],
    audit: tuple[str, dict[str, Any]] | None = None,
) -> T:
    """Run ``work`` on the open store; on success append the audit record ``audit``."""
    settings = _settings(config)

    async def main() -> T:
        async with SecurityStore(settings.db.url, settings.auth) as store:
            out = await work(store)
            if audit is not None:
                action, detail = audit
                await store.audit.record(
                    action, user=f"{getpass.getuser()} (cli)", source_ip="local", detail=detail
                )
            return out

    try:
        return asyncio.run(main())
    except (AccountError, PasswordRejected) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:  # database unreachable, file not writable
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            typer.echo("error: no password on standard input", err=True)
            raise typer.Exit(2)
        return password
    pw: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return pw


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(HANOI).strftime("%d/%m/%Y %H:%M")


def _status(u: User, now_ms: int) -> str:
    if u.disabled:
        return "disabled"
    if u.locked(now_ms):
        return f"locked until {_when(u.locked_until_ms)}"
    if u.locked_addresses:
        n = u.locked_addresses
        return f"locked until {_when(u.addresses_locked_until_ms)} from {n} address{'es' * (n > 1)}"
    return "active"


@app.command()
def add(
    name: NameArg,
    role: Annotated[UserRole, typer.Option("--role", "-r", help="the user's role")],
    display_name: Annotated[str, typer.Option(help="full name shown in the UI")] = "",
    password_stdin: StdinOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Create an account with one role; the password is asked twice (or read from stdin)."""
    password = _password(password_stdin)
    user = _run(
        config,
        lambda s: s.users.add(name, password, role, display_name=display_name),
        ("user.add", {"target": name.strip().lower(), "role": role.value}),
    )
    typer.echo(f"added {user.username} ({user.role.value})")


@app.command()
def passwd(name: NameArg, password_stdin: StdinOpt = False, config: ConfigOpt = None) -> None:
    """Set a new password (the user's browser sessions end, their API tokens are revoked,
    locks are cleared)."""
    password = _password(password_stdin)
    user = _run(
        config,
        lambda s: s.users.set_password(name, password),
        ("user.passwd", {"target": name.strip().lower()}),
    )
    typer.echo(f"password of {user.username} changed; their sessions ended, API tokens revoked")


@app.command("list")
def list_(config: ConfigOpt = None) -> None:
    """Every account: role, status, last sign-in (Asia/Ho_Chi_Minh), API tokens."""
    users = _run(config, lambda s: s.users.all())
    if not users:
        typer.echo("no users yet: metro-ops users add NAME --role ROLE")
        return
    now = int(datetime.now(UTC).timestamp() * 1000)
    rows = [("USER", "ROLE", "STATUS", "LAST SIGN-IN", "TOKENS", "NAME")]
    rows += [
        (
            u.username,
            u.role.value,
            _status(u, now),
            _when(u.last_login_ms),
            str(u.api_tokens),
            u.display_name,
        )
        for u in users
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5])


@app.command()
def role(
    name: NameArg,
    new_role: Annotated[UserRole, typer.Argument(metavar="ROLE", help="the new role")],
    config: ConfigOpt = None,
) -> None:
    """Give a user another role (applies to their live sessions and tokens at once)."""
    user = _run(
        config,
        lambda s: s.users.set_role(name, new_role),
        ("user.role", {"target": name.strip().lower(), "role": new_role.value}),
    )
    typer.echo(f"{user.username} is now {user.role.value}")


@app.command()
def token(
    name: NameArg,
    label: Annotated[str, typer.Option(help="what the token is for")] = "",
    revoke: Annotated[
        bool, typer.Option("--revoke", help="revoke all of the user's API tokens instead")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Issue an API token for a user (printed once, stored hashed), or revoke them all."""
    target = name.strip().lower()
    if revoke:
        n = _run(
            config, lambda s: s.users.revoke_tokens(name), ("user.token_revoke", {"target": target})
        )
        typer.echo(f"revoked {n} API token(s) of {target}")
        return
    issued = _run(
        config,
        lambda s: s.users.issue_token(name, label),
        ("user.token", {"target": target, "label": label}),
    )
    typer.echo(
        "API token (shown once — store it now; send it as `Authorization: Bearer <token>`):",
        err=True,
    )
    typer.echo(issued)


@app.command()
def unlock(name: NameArg, config: ConfigOpt = None) -> None:
    """Clear a lock after failed sign-ins."""
    user = _run(
        config, lambda s: s.users.unlock(name), ("user.unlock", {"target": name.strip().lower()})
    )
    typer.echo(f"{user.username} unlocked")


@app.command()
def disable(name: NameArg, config: ConfigOpt = None) -> None:
    """Disable an account: its sessions end, its tokens stop working, sign-in fails."""
    user = _run(
        config,
        lambda s: s.users.set_disabled(name, True),
        ("user.disable", {"target": name.strip().lower()}),
    )
    typer.echo(f"{user.username} disabled")


@app.command()
def enable(name: NameArg, config: ConfigOpt = None) -> None:
    """Enable a disabled account again."""
    user = _run(
        config,
        lambda s: s.users.set_disabled(name, False),
        ("user.enable", {"target": name.strip().lower()}),
    )
    typer.echo(f"{user.username} enabled")
