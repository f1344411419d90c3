"""Translations for the standalone scripts: ``setup_webhook.py`` and ``test_webhook.py``.

Both speak to the user before Django is set up (``setup_webhook.py`` writes the ``.env`` that
settings.py loads) or without Django at all (``test_webhook.py`` is a plain HTTP client). They
read the project's own catalog, ``locale/pt_BR/LC_MESSAGES/django.mo``, with the standard
library's gettext, in the site's language; once Django is set up, Django's translation (and
whatever language is active there) answers instead, so both paths show the same texts.
Messages are marked with ``gettext``/``ngettext`` imported from here, so ``makemessages``
extracts them like any other.
"""

from __future__ import annotations

import gettext as gettext_module
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# settings.LANGUAGE_CODE ("pt-br") in gettext's spelling; settings cannot be read before the
# .env exists, and the language is fixed there, not read from the environment.
LANGUAGE = "pt_BR"


@cache
def _catalog() -> gettext_module.NullTranslations:
    return gettext_module.translation(
        "django", localedir=LOCALE_DIR, languages=[LANGUAGE], fallback=True
    )


def _django_ready() -> bool:
    try:
        from django.apps import apps
    except ImportError:  # test_webhook.py runs without Django
        return False
    return apps.ready


def gettext(message: str) -> str:
    if _django_ready():
        from django.utils import translation

        return translation.gettext(message)
    return _catalog().gettext(message)


def ngettext(singular: str, plural: str, number: int) -> str:
    if _django_ready():
        from django.utils import translation

        return translation.ngettext(singular, plural, number)
    return _catalog().ngettext(singular, plural, number)


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the catalog; translated later, where it is shown."""
    return message
