"""The command line's APIs: ``--api``, ``--grant``, token lifetimes, and the
``curl`` commands it prints to get a token and call the API with it."""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .apis import Api
from .tenant import Auth0Tenant

API_URL = "http://127.0.0.1:8000/api/"
# Reads the token from /oauth/token's answer; an error answer is shown instead.
ANSWER_READER = (
    "import json, sys; answer = json.load(sys.stdin); "
    'print(answer.get("access_token") or sys.exit(answer))'
)


@dataclass(frozen=True)
class ClientGrant:
    """``--grant CLIENT_ID API [SCOPE ...]``: no scope means all the API's."""

    client_id: str
    audience: str
    scopes: tuple[str, ...]


def add_api_arguments(parser: argparse.ArgumentParser) -> None:
    """The options for APIs, client grants and token lifetimes."""
    group = parser.add_argument_group("APIs and tokens")
    group.add_argument(
        "--api",
        action="append",
        nargs="+",
        default=[],
        metavar=("IDENTIFIER", "SCOPE"),
        help="an API (Applications > APIs): its identifier (the audience) and "
        "scopes, e.g. --api https://api.example.com/ read:reports (repeatable)",
    )
    group.add_argument(
        "--grant",
        action="append",
        nargs="+",
        default=[],
        metavar=("CLIENT_ID API", "SCOPE"),
        help="a client grant: CLIENT_ID may get tokens for the API by the "
        "client_credentials grant, with these scopes (default: all the API's) "
        "(repeatable)",
    )
    group.add_argument(
        "--api-url",
        default=API_URL,
        metavar="URL",
        help="a view of your site protected by token_required, for the printed "
        f"curl command (default: {API_URL})",
    )
    group.add_argument(
        "--access-token-lifetime",
        type=seconds(minimum=1),
        metavar="SECONDS",
        help="how long access tokens live (default: Auth0's 86400)",
    )
    group.add_argument(
        "--refresh-token-policy",
        action="append",
        nargs="+",
        default=[],
        metavar=("API", "SCOPE"),
        help="a refresh-token policy of every application (multi-resource "
        "refresh tokens): refresh tokens may get tokens for the API (an --api) "
        "with these scopes (default: all the API's) (repeatable)",
    )
    group.add_argument(
        "--refresh-token-rotation",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="rotate refresh tokens on every use, as Auth0 recommends (default: on)",
    )
    group.add_argument(
        "--dpop-nonce",
        metavar="NONCE",
        help="demand this nonce in DPoP proofs sent to /oauth/token",
    )
    group.add_argument(
        "--require-dpop",
        action="store_true",
        help="the applications' Require Proof of Possession: token requests "
        "without a DPoP proof are refused",
    )
    group.add_argument(
        "--refresh-token-reuse-interval",
        type=seconds(minimum=0),
        default=0,
        metavar="SECONDS",
        help="how long a rotated refresh token still works (default: 0)",
    )


def seconds(*, minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of seconds, at least ``minimum``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of seconds >= {minimum}, got {value!r}"
            )
        return number

    return parse


def apis_from(
    parser: argparse.ArgumentParser, values: Sequence[Sequence[str]]
) -> list[Api]:
    """``--api IDENTIFIER [SCOPE ...]`` values as APIs; duplicates are an error."""
    apis = [Api(identifier, tuple(scopes)) for identifier, *scopes in values]
    identifiers = [api.identifier for api in apis]
    for identifier in identifiers:
        if not identifier.strip():
            parser.error("--api: the identifier is empty")
        if identifiers.count(identifier) > 1:
            parser.error(f"--api {identifier} is given twice")
    return apis


def grants_from(
    parser: argparse.ArgumentParser,
    values: Sequence[Sequence[str]],
    apis: Sequence[Api],
    client_ids: Sequence[str],
) -> list[ClientGrant]:
    """``--grant CLIENT_ID API [SCOPE ...]`` values, checked against the
    application and the APIs, as Auth0 checks a new client grant."""
    by_identifier = {api.identifier: api for api in apis}
    grants = []
    for value in values:
        if len(value) < 2:
            parser.error(f"--grant needs CLIENT_ID API [SCOPE ...], got {value!r}")
        client_id, audience, *scopes = value
        if client_id not in client_ids:
            parser.error(
                f"--grant: no application {client_id!r} (the application is "
                f"--client-id {client_ids[0]!r})"
            )
        api = by_identifier.get(audience)
        if api is None:
            parser.error(f"--grant: no API {audience!r}: add --api {audience}")
        unknown = [scope for scope in scopes if scope not in api.scopes]
        if unknown:
            parser.error(
                f"--grant: {audience} has no scope {', '.join(unknown)} "
                f"(its scopes: {', '.join(api.scopes) or 'none'})"
            )
        grants.append(ClientGrant(client_id, audience, tuple(scopes or api.scopes)))
    return grants


def configure(tenant: Auth0Tenant, args: argparse.Namespace) -> None:
    """Token settings on every application; the APIs and client grants."""
    for app in tenant.applications.values():
        app.access_token_lifetime = args.access_token_lifetime
        app.refresh_token_rotation = args.refresh_token_rotation
        app.refresh_token_reuse_interval = args.refresh_token_reuse_interval
        app.require_proof_of_possession = args.require_dpop
    tenant.dpop_nonce = args.dpop_nonce
    for api in args.apis:
        tenant.add_api(api)
    for grant in args.grants:
        tenant.authorize_client(grant.client_id, grant.audience, grant.scopes)
    for audience, *scopes in args.refresh_token_policy:
        for client_id in tenant.applications:
            tenant.add_refresh_token_policy(
                client_id, audience, scopes or tenant.apis[audience].scopes
            )


def token_command(tenant: Auth0Tenant, grant: ClientGrant) -> str:
    """A shell line setting ``TOKEN`` to a client_credentials token."""
    body = {
        "grant_type": "client_credentials",
        "client_id": grant.client_id,
        "client_secret": tenant.applications[grant.client_id].client_secret,
        "audience": grant.audience,
    }
    curl = shlex.join(
        [
            "curl",
            "-s",
            f"{tenant.base_url}/oauth/token",
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps(body),
        ]
    )
    return f"TOKEN=$({curl} | python3 -c {shlex.quote(ANSWER_READER)})"


def call_command(api_url: str) -> str:
    """A shell line calling ``api_url`` with ``$TOKEN``."""
    return f'curl -s {shlex.quote(api_url)} -H "Authorization: Bearer $TOKEN"'


def api_lines(
    tenant: Auth0Tenant, grants: Sequence[ClientGrant], api_url: str
) -> list[str]:
    """The APIs, and for each client grant the two commands to paste."""
    lines = [
        f"API: {api.identifier} (scopes: {', '.join(api.scopes) or 'none'})"
        for api in tenant.apis.values()
    ]
    if tenant.apis and not grants:
        lines.append(
            "No client grant: add --grant CLIENT_ID API to get tokens with curl."
        )
    for grant in grants:
        lines += [
            f"Get a token for {grant.audience} as {grant.client_id} "
            "(client credentials), then call your API with it:",
            f"  {token_command(tenant, grant)}",
            f"  {call_command(api_url)}",
        ]
    return lines
