"""Which user fields claims may write, and claim values fitted to a field.

One home for these rules: the pipeline applies them at login, the system
checks apply them to the settings at startup.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

# social-core's user_details protects these unless
# NO_DEFAULT_PROTECTED_USER_FIELDS is True (social_core/pipeline/user.py).
DEFAULT_PROTECTED = (
    "username",
    "id",
    "pk",
    "email",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
)
# Never written from details or CLAIM_FIELDS, whatever the settings say:
# is_active is a local decision, and the flags belong to the role settings.
NEVER_FROM_CLAIMS = frozenset(
    {"id", "pk", "password", "is_active", "is_staff", "is_superuser"}
)
SKIP = object()  # fit_to_field's "does not fit"


def protected_fields(no_defaults: object, extra: Iterable[str] | None) -> set[str]:
    """Fields details never write: social-core's protected fields
    (``NO_DEFAULT_PROTECTED_USER_FIELDS``, ``PROTECTED_USER_FIELDS``) plus
    the ones only roles may write."""
    defaults = () if no_defaults is True else DEFAULT_PROTECTED
    return {*defaults, *(extra or ()), *NEVER_FROM_CLAIMS}


def model_field(model: Any, name: str) -> models.Field[Any, Any] | None:
    """Field ``name`` of a model (class or instance), or None."""
    try:
        return cast("models.Field[Any, Any]", model._meta.get_field(name))
    except FieldDoesNotExist:
        return None


def claims_may_write(field: models.Field[Any, Any]) -> bool:
    """A concrete, non-relational, non-key field that is not a local decision."""
    return bool(
        getattr(field, "concrete", False)
        and not field.is_relation
        and not field.primary_key
        and field.name not in NEVER_FROM_CLAIMS
    )


def writable_field(user: Any, name: str) -> models.Field[Any, Any] | None:
    """The field ``name`` of the user if claims may write it, else None."""
    field = model_field(user, name)
    if field is None or name in NEVER_FROM_CLAIMS or not claims_may_write(field):
        return None
    return field


def fit_to_field(field: models.Field[Any, Any], value: object) -> object:
    """``value`` made fit for ``field`` (strings cut to max_length), or SKIP.

    Type-strict on purpose: ``"yes"`` is not a boolean and ``3.7`` is not an
    integer; a value that would need guessing is skipped, not coerced.
    """
    if value is None:
        return None if field.null else SKIP
    if isinstance(field, models.CharField | models.TextField):
        if not isinstance(value, str):
            return SKIP
        value = value[: field.max_length] if field.max_length else value
    elif isinstance(field, models.BooleanField):
        if not isinstance(value, bool):
            return SKIP
    elif isinstance(field, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int):
            return SKIP
    elif isinstance(field, models.DateTimeField | models.DateField):
        value = to_date(field, value)
    elif not isinstance(field, models.JSONField):
        value = to_python(field, value)
    if value is SKIP:
        return SKIP
    return value if validates(field, value) else SKIP


def validates(field: models.Field[Any, Any], value: object) -> bool:
    """The field's validators (max/min values, email/URL syntax) and choices."""
    try:
        field.run_validators(value)
        return not field.choices or value in {k for k, _ in field.flatchoices}
    except (ValidationError, TypeError, ValueError):  # TypeError: unhashable value
        return False


def to_python(field: models.Field[Any, Any], value: object) -> object:
    """``field.to_python(value)``, or SKIP if it refuses."""
    if isinstance(value, dict | list | bool):
        return SKIP  # never coerce structures or booleans into scalars
    try:
        return field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return SKIP


def to_date(field: models.Field[Any, Any], value: object) -> object:
    """An ISO 8601 string as a date/datetime (aware when ``USE_TZ``), or SKIP."""
    if not isinstance(value, str):
        return SKIP
    parsed = to_python(field, value)
    if (
        isinstance(parsed, datetime.datetime)
        and settings.USE_TZ
        and parsed.tzinfo is None
    ):
        parsed = parsed.replace(tzinfo=datetime.UTC)  # Auth0 times are UTC
    return parsed
