"""``manage.py webhook_prune --raw-older-than 90d``: retention of raw bodies (webhook.retention)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.management.base import CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from webhook.conf import webhook_settings
from webhook.management.base import TranslatedCommand
from webhook.management.commands.webhook_reprocess import print_table, progress_bar
from webhook.models import WebhookEvent
from webhook.retention import prunable, raw_bodies_prune

UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(value: str) -> timedelta:
    """``90d``, ``12h``, ``2w`` (a bare number is days)."""
    match = re.fullmatch(r"\s*(\d+)\s*([hdw]?)\s*", value.lower())
    if match is None or int(match[1]) == 0:
        raise ValueError(value)
    return timedelta(**{UNITS[match[2] or "d"]: int(match[1])})


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Blank the raw bodies (and headers) of settled events (processed, duplicate, ignored) "
        "received before the cutoff. Failed, unassigned, rejected and received events keep "
        "theirs; every normalised row (chats, messages, statistics) stays."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--raw-older-than",
            metavar="AGE",
            help=gettext_lazy(
                "age, e.g. 90d, 12h or 2w (default: WEBHOOK_RETENTION_RAW_DAYS days)"
            ),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("only count what would be blanked")
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help=gettext_lazy("events per transaction (default: 1000)"),
        )

    def handle(self, *args, **options) -> None:
        cutoff = timezone.now() - self._age(options["raw_older_than"])
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        when = date_format(timezone.localtime(cutoff), "SHORT_DATETIME_FORMAT")
        total = prunable(older_than=cutoff).count()
        if total == 0:
            self.stdout.write(
                _("Nothing to blank: no settled event received before %(cutoff)s has its raw body.")
                % {"cutoff": when}
            )
            return
        bar = progress_bar(
            self.stderr, total=total, desc=_("Blanking"), unit=pgettext("webhook_prune", "event")
        )
        with bar:
            summary = raw_bodies_prune(
                older_than=cutoff,
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                progress=lambda done: bar.update(done - bar.n),
            )
        labels = dict(WebhookEvent.Status.choices)
        rows = [(str(labels[status]), count) for status, count in sorted(summary.by_status.items())]
        header = (pgettext("webhook_prune", "Status"), pgettext("webhook_prune", "Events"))
        print_table(self.stdout, header, rows)
        numbers = {
            "events": number_format(summary.events, force_grouping=True),
            "cutoff": when,
            "size": filesizeformat(summary.characters),
        }
        if summary.dry_run:
            message = _(
                "Dry run: %(events)s events received before %(cutoff)s would have their raw "
                "body blanked (about %(size)s). Nothing was changed."
            )
        else:
            message = _(
                "Raw bodies blanked: %(events)s events received before %(cutoff)s (about %(size)s)."
            )
        self.stdout.write(self.style.SUCCESS(message % numbers))
        self.stdout.write(
            _(
                "Failed, unassigned, rejected and received events were not touched; messages, "
                "chats and statistics are kept."
            )
        )

    @staticmethod
    def _age(value: str | None) -> timedelta:
        if value is None:
            days = webhook_settings.RETENTION_RAW_DAYS
            if not days:
                raise CommandError(
                    _("Retention is off (WEBHOOK_RETENTION_RAW_DAYS=0): give --raw-older-than.")
                )
            return timedelta(days=days)
        try:
            return parse_age(value)
        except ValueError as exc:
            raise CommandError(
                _(
                    "Invalid age '%(value)s': a number followed by d (days), h (hours) or "
                    "w (weeks), e.g. 90d."
                )
                % {"value": value}
            ) from exc
