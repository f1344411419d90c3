"""The base of the ``webhook_*`` commands: help texts translated when they are shown.

A command's ``help`` is a class attribute, read before any language is known, so it is a lazy
translation (``gettext_lazy``); argparse, though, formats its texts with ``re`` and fails on a
lazy object (``TypeError: expected string or bytes-like object, got '__proxy__'``). The parser
is therefore built with every help text turned into ``str`` in the active language: pt-BR in a
terminal (Django leaves ``LANGUAGE_CODE`` active for management commands), whatever
``translation.override`` says when a command is called from code.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.functional import Promise


class TranslatedCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        if isinstance(self.help, Promise):
            self.help = str(self.help)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if isinstance(action.help, Promise):
                action.help = str(action.help)
        return parser
