"""Auth0 Organizations in the emulated tenant: members, invitations, and the
``organization``/``invitation`` rules of ``/authorize``.

While no organization is registered, ``organization`` is taken at its word
(the token just carries it), as before. Once one is, the tenant behaves like
Auth0: an unknown organization is refused, a user who is not a member is sent
back with ``access_denied``, and an invitation makes its invitee a member.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from .state import AuthorizeRequest
    from .users import Application, TenantUser

# Application "Types of users" (Auth0: Individuals / Both / Business users).
USAGE_DENY, USAGE_ALLOW, USAGE_REQUIRE = "deny", "allow", "require"


def organization_id(name: str) -> str:
    """A stable Auth0-shaped organization id (``org_`` + 16 characters)."""
    return "org_" + hashlib.sha256(name.encode()).hexdigest()[:16]


@dataclass
class Organization:
    """An organization: ``name`` (lowercase, Auth0's rule), ``id``, members' emails."""

    name: str
    id: str = ""
    display_name: str = ""
    members: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.id = self.id or organization_id(self.name)
        self.display_name = self.display_name or self.name
        self.members = {email.strip().lower() for email in self.members}


@dataclass
class Invitation:
    """An invitation of ``email`` to an organization, for one application."""

    id: str
    organization_id: str
    email: str
    client_id: str
    accepted: bool = False


class Organizations:
    """The tenant's organizations and invitations (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._organizations: dict[str, Organization] = {}
        self._invitations: dict[str, Invitation] = {}
        #: application client_id -> USAGE_* (unset: USAGE_ALLOW)
        self.usage: dict[str, str] = {}

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._organizations)

    def add(self, organization: Organization) -> Organization:
        """Register (or replace) an organization."""
        with self._lock:
            self._organizations[organization.id] = organization
        return organization

    def find(self, reference: str | None) -> Organization | None:
        """The organization with this id, or this name (case-insensitive)."""
        if not reference:
            return None
        with self._lock:
            if reference in self._organizations:
                return self._organizations[reference]
            wanted = reference.casefold()
            return next(
                (
                    o
                    for o in self._organizations.values()
                    if o.name.casefold() == wanted
                ),
                None,
            )

    def add_member(self, reference: str, email: str) -> None:
        """Make ``email`` a member of an organization."""
        with self._lock:
            self._get(reference).members.add(email.strip().lower())

    def invite(self, reference: str, email: str, client_id: str) -> Invitation:
        """A fresh invitation of ``email`` for application ``client_id``."""
        organization = self._get(reference)
        invitation = Invitation(
            secrets.token_urlsafe(12), organization.id, email.strip().lower(), client_id
        )
        with self._lock:
            self._invitations[invitation.id] = invitation
        return invitation

    def invitation_link(self, invitation: Invitation, login_url: str) -> str:
        """The link of Auth0's invitation email: the application's login route
        with ``invitation``, ``organization`` and ``organization_name``."""
        organization = self._get(invitation.organization_id)
        query = urlencode(
            {
                "invitation": invitation.id,
                "organization": organization.id,
                "organization_name": organization.name,
            }
        )
        return f"{login_url}{'&' if '?' in login_url else '?'}{query}"

    def invitation(self, invitation_id: str | None) -> Invitation | None:
        """The invitation with this id, if any."""
        with self._lock:
            return self._invitations.get(invitation_id or "")

    def _get(self, reference: str) -> Organization:
        organization = self.find(reference)
        if organization is None:
            raise KeyError(f"no organization {reference!r}")
        return organization

    # -- /authorize and login ----------------------------------------------------

    def authorize_problem(
        self, app: Application, params: dict[str, str]
    ) -> tuple[str, str] | None:
        """An OAuth error for the ``organization``/``invitation`` parameters, if any."""
        usage = self.usage.get(app.client_id, USAGE_ALLOW)
        requested = params.get("organization")
        if requested and usage == USAGE_DENY:
            return (
                "invalid_request",
                "parameter organization is not allowed for this client",
            )
        if not requested:
            if usage == USAGE_REQUIRE:
                return (
                    "invalid_request",
                    "parameter organization is required for this client",
                )
            if params.get("invitation"):
                return "invalid_request", "parameter invitation requires organization"
            return None
        if not self:
            return None  # no organizations registered: taken at its word
        organization = self.find(requested)
        if organization is None:
            return "invalid_request", f"no organization found by {requested!r}"
        invitation = self.invitation(params.get("invitation"))
        if params.get("invitation") and (
            invitation is None
            or invitation.accepted
            or invitation.organization_id != organization.id
            or invitation.client_id != app.client_id
        ):
            return "invalid_request", "invitation not found or already used"
        return None

    def invitee(self, auth: AuthorizeRequest) -> str | None:
        """The email an invitation login is for."""
        invitation = self.invitation(auth.invitation)
        return invitation.email if invitation else None

    def admit(self, auth: AuthorizeRequest, user: TenantUser) -> str | None:
        """None if ``user`` may log in to the requested organization (accepting
        the invitation); else the ``error_description`` of an access_denied."""
        organization = self.find(auth.organization)
        if organization is None:
            return None
        email = user.email.strip().lower()
        with self._lock:
            invitation = self.invitation(auth.invitation)
            if invitation is not None:
                # Used once: /authorize refuses an accepted one; here the same
                # login may pass twice (before and after an MFA step).
                if invitation.email != email:
                    return "the invitation is for another user"
                if not invitation.accepted:
                    invitation.accepted = True
                    organization.members.add(email)
            if email not in organization.members:
                return f"user is not part of the {organization.id} organization"
        return None
