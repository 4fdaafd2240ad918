"""Step-up for sensitive views: ``recent_login_required`` and ``mfa_required``.

::

    @recent_login_required(max_age=300)
    def change_email(request): ...

    @mfa_required
    def delete_account(request): ...

    class Billing(MFARequiredMixin, View): ...

A logged-in user whose Auth0 login is too old (or did not do MFA) is sent
through Auth0 again and comes back to the view; the ID token of that login is
checked at the callback (same ``sub``, ``auth_time``, ``amr``/``acr``, see
``stepup.py``). A failed step-up never logs anyone out. A request that is not a
GET or HEAD gets 403: a redirect would drop its body. An anonymous user goes to
the login page, as with ``login_required``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse

from . import clock
from .login.record import login_record
from .login.stepup import STEP_UP_KEY, has_mfa, is_recent, step_up_request

_View = TypeVar("_View", bound=Callable[..., HttpResponse])
_SAFE_METHODS = ("GET", "HEAD")
_DEFAULT_MAX_AGE = 300  # seconds


def _leeway(request: HttpRequest) -> int:
    """The backend's ``LEEWAY`` (the callback accepted ``auth_time`` with it)."""
    from .backend import backend_for

    return backend_for(request).leeway()


def _requirement_met(
    record: dict[str, Any], request: HttpRequest, *, max_age: int | None, mfa: bool
) -> bool:
    """Whether this session's Auth0 login (``record``) meets the requirement."""
    if mfa and not has_mfa(record):
        return False
    if max_age is not None:
        return is_recent(
            record, max_age, leeway=_leeway(request), now=clock.current_time()
        )
    return True


def _step_up(
    request: HttpRequest, *, max_age: int | None = None, mfa: bool = False
) -> HttpResponse | None:
    """None when the view may run; else the response that steps the user up
    (a redirect through Auth0, the login page, or 403)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    record = login_record(request)
    if record is None:
        raise PermissionDenied("this session did not log in with Auth0")
    if _requirement_met(record, request, max_age=max_age, mfa=mfa):
        return None
    return step_up_login(request, record, max_age=max_age, mfa=mfa)


def step_up_login(
    request: HttpRequest,
    record: dict[str, Any],
    *,
    max_age: int | None = None,
    mfa: bool = False,
) -> HttpResponse:
    """Leave a step-up request for the session's login (``record``) and send
    the browser through Auth0 and back to this page (403 unless GET or HEAD)."""
    if request.method not in _SAFE_METHODS:
        raise PermissionDenied("step-up needed: retry from a page (GET)")
    request.session[STEP_UP_KEY] = step_up_request(
        record["sub"], max_age=max_age, mfa=mfa, iss=record.get("iss")
    )
    query = QueryDict(mutable=True)
    query[REDIRECT_FIELD_NAME] = request.get_full_path()
    # safe="/": the same URL shape as login_required's redirect_to_login.
    return HttpResponseRedirect(
        f"{reverse('social_auth0:login')}?{query.urlencode(safe='/')}"
    )


def _decorator(*, max_age: int | None, mfa: bool) -> Callable[[_View], _View]:
    def decorate(view: _View) -> _View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = _step_up(request, max_age=max_age, mfa=mfa)
            return response if response is not None else view(request, *args, **kwargs)

        return cast("_View", wrapped)

    return decorate


@overload
def recent_login_required(view: _View) -> _View: ...
@overload
def recent_login_required(
    view: None = None, *, max_age: int = _DEFAULT_MAX_AGE
) -> Callable[[_View], _View]: ...
def recent_login_required(
    view: _View | None = None, *, max_age: int = _DEFAULT_MAX_AGE
) -> _View | Callable[[_View], _View]:
    """Run the view only if the user's Auth0 login is at most ``max_age`` s old."""
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
        raise ValueError("recent_login_required: max_age must be an integer >= 0")
    decorator = _decorator(max_age=max_age, mfa=False)
    return decorator(view) if view is not None else decorator


@overload
def mfa_required(view: _View) -> _View: ...
@overload
def mfa_required(
    view: None = None, *, max_age: int | None = None
) -> Callable[[_View], _View]: ...
def mfa_required(
    view: _View | None = None, *, max_age: int | None = None
) -> _View | Callable[[_View], _View]:
    """Run the view only if this session's Auth0 login (or a step-up) did MFA;
    with ``max_age``, also recently."""
    decorator = _decorator(max_age=max_age, mfa=True)
    return decorator(view) if view is not None else decorator


class StepUpRequiredMixin:
    """CBV mixin: ``step_up_max_age`` (seconds or None) and ``step_up_mfa``."""

    step_up_max_age: int | None = _DEFAULT_MAX_AGE
    step_up_mfa = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = _step_up(request, max_age=self.step_up_max_age, mfa=self.step_up_mfa)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class RecentLoginRequiredMixin(StepUpRequiredMixin):
    """CBV mixin: a login at most ``step_up_max_age`` seconds old."""


class MFARequiredMixin(StepUpRequiredMixin):
    """CBV mixin: a login (or step-up) with MFA."""

    step_up_max_age = None
    step_up_mfa = True


__all__ = [
    "MFARequiredMixin",
    "RecentLoginRequiredMixin",
    "StepUpRequiredMixin",
    "mfa_required",
    "recent_login_required",
]
