"""`soc users` and `soc agencies`: accounts and tenants, from the machine's own shell."""

from __future__ import annotations

import argparse
import getpass
import sys

from soc.cli.common import settings_of
from soc.errors import ValidationError
from soc.model.agency import ROLES, Agency
from soc.services import open_cases


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="manage accounts").add_subparsers(metavar="ACTION")
    add = users.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--agency", help="agency id (required for agency_admin)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(run=_users_add)
    listing = users.add_parser("list", help="list accounts")
    listing.set_defaults(run=_users_list)
    reset = users.add_parser("password", help="set a new password (a forgotten one, say)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    reset.set_defaults(run=_users_password)
    for action, active, words in (
        ("deactivate", False, "stop an account (someone who left): no login, sessions end"),
        ("activate", True, "let a deactivated account log in again"),
    ):
        switch = users.add_parser(action, help=words)
        switch.add_argument("username")
        switch.set_defaults(run=_users_active, active=active)

    agencies = sub.add_parser("agencies", help="manage agencies").add_subparsers(metavar="ACTION")
    ag_add = agencies.add_parser(
        "add", help="create an agency, or replace an existing one's name and CIDRs"
    )
    ag_add.add_argument("id", help="short slug, e.g. so-yte")
    ag_add.add_argument("--name", required=True)
    ag_add.add_argument("--cidr", action="append", default=[], help="network it owns (repeat)")
    ag_add.set_defaults(run=_agencies_add)
    ag_list = agencies.add_parser("list", help="list agencies")
    ag_list.set_defaults(run=_agencies_list)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    try:
        password = getpass.getpass("Password: ")
        repeated = getpass.getpass("Repeat: ")
    except EOFError:  # no terminal and nothing piped in
        raise ValidationError(
            "no password given: type it at a terminal, or pipe it in with --password-stdin"
        ) from None
    if password != repeated:
        raise ValidationError("passwords differ")
    return password


def _users_add(args: argparse.Namespace) -> int:
    password = _read_password(args)
    cases = open_cases(settings_of(args))
    try:
        user = cases.add_user(args.username, password, args.role, args.agency)
    finally:
        cases.close()
    print(f"created {user.username} ({user.role})")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        for user in cases.list_users(None):
            last = user.last_login_at.isoformat() if user.last_login_at else "never"
            print(
                f"{user.username}\t{user.role}\t{user.agency_id or '-'}\t"
                f"{'active' if user.active else 'inactive'}\tlast login {last}"
            )
    finally:
        cases.close()
    return 0


def _users_password(args: argparse.Namespace) -> int:
    password = _read_password(args)
    cases = open_cases(settings_of(args))
    try:
        cases.reset_password(args.username, password)
    finally:
        cases.close()
    print(f"password of {args.username} set")
    return 0


def _users_active(args: argparse.Namespace) -> int:
    """The operator's path on the server: no login needed, audited as "system"."""
    cases = open_cases(settings_of(args))
    try:
        user = cases.set_user_active_by_name(args.username, args.active)
    finally:
        cases.close()
    print(f"{user.username} is {'active' if user.active else 'deactivated'}")
    return 0


def _agencies_add(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        cases.upsert_agency(Agency(id=args.id, name=args.name, cidrs=tuple(args.cidr)))
    finally:
        cases.close()
    print(f"saved agency {args.id}")
    return 0


def _agencies_list(args: argparse.Namespace) -> int:
    cases = open_cases(settings_of(args))
    try:
        for agency in cases.agencies():
            print(f"{agency.id}\t{agency.name}\t{','.join(agency.cidrs)}")
    finally:
        cases.close()
    return 0
