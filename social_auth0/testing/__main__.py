"""``python -m social_auth0.testing``: serve a local Auth0 tenant until Ctrl-C."""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from .cli_api import add_api_arguments, api_lines, apis_from, configure, grants_from
from .defaults import CLIENT_ID, CLIENT_SECRET, DEMO_EMAIL, DEMO_PASSWORD, DEMO_ROLES
from .tenant import WILDCARD_HOSTS, Auth0Tenant
from .users import TenantUser


def parse_user(value: str) -> TenantUser:
    """``email:password[:role,role]`` -> a database user."""
    email, _, rest = value.partition(":")
    password, _, roles = rest.partition(":")
    if not email or not password:
        raise argparse.ArgumentTypeError(
            f"expected email:password[:roles], got {value!r}"
        )
    return TenantUser(email, password, roles=[r for r in roles.split(",") if r])


USERS_FILE_HELP = (
    "a JSON list of users, each an object with TenantUser's fields: "
    '[{"email": "ada@example.com", "password": "pw", "roles": ["staff"]}, '
    '{"email": "grace@example.com", "connection": "google-oauth2", '
    '"given_name": "Grace", "family_name": "Hopper"}]; only "email" is '
    'required; no "password": log in with the page\'s quick-pick button. Other '
    "fields: sub, name, nickname, picture, email_verified, permissions, "
    "app_metadata, extra_claims"
)


def load_users(path: Path) -> list[TenantUser]:
    """Users from a JSON list of objects with ``TenantUser`` fields (see the help)."""
    return [TenantUser(**fields) for fields in json.loads(path.read_text())]


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m social_auth0.testing",
        description="Serve a local Auth0 tenant emulator (no Auth0 account needed).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    parser.add_argument("--client-id", default=CLIENT_ID)
    parser.add_argument("--client-secret", default=CLIENT_SECRET)
    parser.add_argument(
        "--callback-url",
        action="append",
        default=[],
        help="an Allowed Callback URL (repeatable)",
    )
    parser.add_argument(
        "--logout-url", action="append", default=[], help="an Allowed Logout URL"
    )
    parser.add_argument(
        "--backchannel-logout-url", action="append", default=[], metavar="URL"
    )
    parser.add_argument(
        "--user",
        action="append",
        type=parse_user,
        default=[],
        metavar="EMAIL:PASSWORD[:ROLE,ROLE]",
    )
    parser.add_argument("--users-file", type=Path, help=USERS_FILE_HELP)
    parser.add_argument("--roles-claim", help="e.g. https://example.com/roles")
    add_api_arguments(parser)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options, with ``--api`` and ``--grant`` checked (argparse errors)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.apis = apis_from(parser, args.api)
    args.grants = grants_from(parser, args.grant, args.apis, [args.client_id])
    known = {api.identifier for api in args.apis}
    for audience, *_ in args.refresh_token_policy:
        if audience not in known:
            parser.error(f"--refresh-token-policy: no API {audience!r}: add --api")
    return args


def start(tenant: Auth0Tenant, host: str, port: int) -> None:
    """Bind the port, or exit naming it (another emulator, or the site, may
    hold it) and the option that moves it: no traceback."""
    try:
        tenant.start()
    except OSError as error:
        sys.exit(
            f"Cannot listen on {host}:{port} ({error.strerror}): stop what is "
            "using it (another emulator?) or pick a port with --port, and set "
            "AUTH0_DOMAIN to match."
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Start the tenant, print how to use it, wait for Ctrl-C."""
    args = parse_args(argv)
    users = args.user + (load_users(args.users_file) if args.users_file else [])
    tenant = Auth0Tenant(
        client_id=args.client_id,
        client_secret=args.client_secret,
        callback_urls=args.callback_url
        or [
            "http://127.0.0.1:8000/complete/auth0/",
            "http://localhost:8000/complete/auth0/",
        ],
        logout_urls=args.logout_url
        or ["http://127.0.0.1:8000/", "http://localhost:8000/"],
        users=users or [TenantUser(DEMO_EMAIL, DEMO_PASSWORD, roles=list(DEMO_ROLES))],
        roles_claim=args.roles_claim,
        host=args.host,
        port=args.port,
        backchannel_logout_urls=args.backchannel_logout_url,
    )
    configure(tenant, args)
    start(tenant, args.host, args.port)
    with tenant:
        warn_if_exposed(args.host, tenant)
        print_summary(tenant)
        for line in api_lines(tenant, args.grants, args.api_url):
            print(line)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nStopped.")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warn_if_exposed(host: str, tenant: Auth0Tenant) -> None:
    """Say loudly, on stderr, when the emulator listens beyond loopback."""
    if is_loopback(host):
        return
    where = (
        "every network interface"
        if host.strip("[]") in WILDCARD_HOSTS
        else f"{host}, reachable from other machines"
    )
    lines = [
        f"WARNING: --host {host} binds {where}.",
        "The tenant emulator is for loopback development only: anyone who can",
        "reach it can sign in as the demo users printed below and get tokens it",
        "signs. Use --host 127.0.0.1 (the default).",
    ]
    if host.strip("[]") in WILDCARD_HOSTS:
        lines.append(
            f"The domain printed below, {tenant.domain}, is where a browser on this "
            "machine reaches it."
        )
    else:
        lines.append(
            "social_auth0 accepts an http:// domain only on loopback (system check "
            "social_auth0.E003): a site using this one will not start."
        )
    banner = "!" * 72
    print("\n".join([banner, *lines, banner]), file=sys.stderr, flush=True)


def print_summary(tenant: Auth0Tenant) -> None:
    """What to put in settings, and who can log in (the demo passwords on purpose)."""
    app = next(iter(tenant.applications.values()))
    print(f"SOCIAL_AUTH_AUTH0_DOMAIN = {tenant.domain!r}", flush=True)
    print(f"SOCIAL_AUTH_AUTH0_KEY = {app.client_id!r}")
    # The emulator's own secret, as given (or its published default): the
    # settings printed are the ones this tenant answers to.
    print(f"SOCIAL_AUTH_AUTH0_SECRET = {app.client_secret!r}")
    if tenant.roles_claim:
        print(f"SOCIAL_AUTH_AUTH0_ROLES_CLAIM = {tenant.roles_claim!r}")
    audiences = list(tenant.apis)
    if audiences:
        audience = audiences[0] if len(audiences) == 1 else audiences
        print(f"SOCIAL_AUTH_AUTH0_API_AUDIENCE = {audience!r}")
    print(f"Allowed Callback URLs: {', '.join(app.callback_urls)}")
    print(f"Allowed Logout URLs: {', '.join(app.logout_urls)}")
    print("Demo logins:")
    for user in tenant.users.values():
        roles = f" (roles: {', '.join(user.roles)})" if user.roles else ""
        print(f"  {user.email} / {user.password or '<quick-pick button>'}{roles}")


if __name__ == "__main__":
    main()
