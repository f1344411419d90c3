"""The test client and the admin user: created when absent, never changed behind the user's back.

The admin's password is the one given (validated by Django's validators), asked twice on a
terminal, or generated and shown once.
"""

from __future__ import annotations

import getpass
import secrets
from collections.abc import Callable
from typing import Any

from webhook.script_i18n import gettext as _
from webhook.setup import SetupError

PASSWORD_ATTEMPTS = 3


def client_ensure(*, name: str | None, instance_id: str) -> tuple[Any, bool]:
    """The client of ``instance_id`` (created when absent; its token never changes)."""
    from webhook.models import Client

    instance_id = instance_id.strip()
    if not instance_id:
        raise SetupError(_("--instance-id cannot be empty."))
    client, created = Client.objects.get_or_create(
        instance_id=instance_id, defaults={"name": name or _("Test client")}
    )
    if not created and name and client.name != name:
        client.name = name
        client.save(update_fields=["name"])
    return client, created


def _validate_password(password: str, user: Any) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise SetupError(
            _("password refused: %(reasons)s") % {"reasons": " ".join(str(m) for m in exc.messages)}
        ) from None


def _generated_password(user: Any) -> str:
    for _attempt in range(10):
        password = secrets.token_urlsafe(12)
        try:
            _validate_password(password, user)
        except SetupError:
            continue
        return password
    raise SetupError(_("could not generate a password that Django's validators accept."))


def _prompt_password(user: Any, say: Callable[[str], None]) -> str | None:
    """Ask twice on the terminal; empty means "generate one"."""
    say(
        _('Set the password of the administrator "%(user)s" (empty = generate a random one).')
        % {"user": user.get_username()}
    )
    for _attempt in range(PASSWORD_ATTEMPTS):
        first = getpass.getpass(_("Password: "))
        if not first:
            return None
        if getpass.getpass(_("Repeat the password: ")) != first:
            say(_("The passwords do not match; try again."))
            continue
        try:
            _validate_password(first, user)
        except SetupError as exc:
            say(str(exc).capitalize())
            continue
        return first
    raise SetupError(_("password not set after %(n)s attempts.") % {"n": PASSWORD_ATTEMPTS})


def admin_ensure(
    *,
    username: str,
    email: str,
    password: str | None,
    interactive: bool,
    say: Callable[[str], None],
) -> tuple[str, str | None]:
    """Create the superuser when absent; returns (what happened, generated password or None)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is not None:
        if password is None:
            return _("already existed (password kept)"), None
        _validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        return _("already existed (password updated)"), None
    user = user_model(**{user_model.USERNAME_FIELD: username, "email": email})
    generated = None
    if password is not None:
        _validate_password(password, user)
    elif interactive:
        password = _prompt_password(user, say)
    if password is None:
        password = generated = _generated_password(user)
    user_model._default_manager.create_superuser(
        **{user_model.USERNAME_FIELD: username}, email=email, password=password
    )
    return _("created"), generated
