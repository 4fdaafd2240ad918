"""Driving the login pages over real HTTP, as a browser would (for ``tenant.login``)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

MAX_HOPS = 10
TIMEOUT = 10  # seconds


class LoginError(AssertionError):
    """The login page did not send the browser back to the application."""


def login(
    session: requests.Session,
    base_url: str,
    authorize_url: str,
    email: str,
    password: str | None,
    *,
    mfa_code: str | None = None,
) -> str:
    """Open ``authorize_url``, submit the form (and, given ``mfa_code``, the
    MFA page); return the application callback URL."""
    opened = _open(session, base_url, authorize_url)
    if isinstance(opened, str):
        return opened  # single sign-on or prompt=none: no page at all
    page = opened
    if not _is_mfa_page(opened):
        url, after_login = _submit_login(session, base_url, opened, email, password)
        if after_login is None:
            return url
        page = after_login
    if mfa_code is None or not _is_mfa_page(page):
        raise LoginError(f"the tenant showed a page instead: {_page_message(page)}")
    return _pass_mfa(session, base_url, page, mfa_code)


def _submit_login(
    session: requests.Session,
    base_url: str,
    page: requests.Response,
    email: str,
    password: str | None,
) -> tuple[str, requests.Response | None]:
    form = {"state": _transaction_id(page), "email": email, "password": password or ""}
    if password is None:
        form = {"state": form["state"], "login_as": email}  # the quick-pick button
    answer = session.post(page.url, data=form, allow_redirects=False, timeout=TIMEOUT)
    if not answer.is_redirect:
        raise LoginError(f"login as {email!r} refused: {_page_message(answer)}")
    return _walk(session, base_url, urljoin(page.url, answer.headers["Location"]))


def _is_mfa_page(page: requests.Response) -> bool:
    return urlsplit(page.url).path == "/u/mfa"


def _pass_mfa(
    session: requests.Session, base_url: str, page: requests.Response, code: str
) -> str:
    form = {"state": _transaction_id(page), "code": code}
    answer = session.post(page.url, data=form, allow_redirects=False, timeout=TIMEOUT)
    if not answer.is_redirect:
        raise LoginError(f"MFA code refused: {_page_message(answer)}")
    return _follow(session, base_url, urljoin(page.url, answer.headers["Location"]))


def cancel(session: requests.Session, base_url: str, authorize_url: str) -> str:
    """Open ``authorize_url`` and follow the Cancel link; return the callback URL."""
    page = _open(session, base_url, authorize_url)
    if isinstance(page, str):
        raise LoginError(
            "no login page to cancel: the tenant session logged in directly"
        )
    cancel_url = f"{base_url}/u/login/cancel?state={_transaction_id(page)}"
    return _follow(session, base_url, cancel_url)


def _open(
    session: requests.Session, base_url: str, url: str
) -> requests.Response | str:
    if not url.startswith(base_url + "/"):
        raise ValueError(f"{url!r} is not on this tenant ({base_url})")
    url, page = _walk(session, base_url, url)
    return page if page is not None else url


def _follow(session: requests.Session, base_url: str, url: str) -> str:
    url, page = _walk(session, base_url, url)
    if page is not None:
        raise LoginError(f"the tenant showed a page instead: {_page_message(page)}")
    return url


def _walk(
    session: requests.Session, base_url: str, url: str
) -> tuple[str, requests.Response | None]:
    """Follow redirects inside the tenant, up to a page or the first URL outside it."""
    for _ in range(MAX_HOPS):
        if not url.startswith(base_url + "/"):
            return url, None  # the application's callback: a browser would go there now
        response = session.get(url, allow_redirects=False, timeout=TIMEOUT)
        if not response.is_redirect:
            if response.status_code != 200:
                raise LoginError(f"{response.status_code}: {_page_message(response)}")
            return url, response
        url = urljoin(url, response.headers["Location"])
    raise LoginError("too many redirects inside the tenant")


def _transaction_id(page: requests.Response) -> str:
    return parse_qs(urlsplit(page.url).query)["state"][0]


def _page_message(response: requests.Response) -> str:
    found = re.findall(
        r'id="(?:heading|error|description)"[^>]*>([^<]*)<', response.text
    )
    return unescape(" - ".join(found)) or response.text[:200]
