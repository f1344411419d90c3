"""Server counters, summed over every process of each server (``webhook.server_stats``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServerCounter(models.Model):
    """One number (or one piece of information) of a server, shared by all its processes.

    ``server`` names the process group (``receiver``: the Flask receiver; ``django``: the Django
    server). Keys in use: ``status:<code>`` (requests answered with that status, ``count``),
    ``info:<name>`` (``value``: the tunnel URL, the start time, the run's identity) and
    ``process:<host>:<pid>`` (each process's heartbeat, ``updated_at``). Each process adds its
    in-memory deltas every few seconds (``count = count + delta``), never once per request."""

    server = models.CharField(
        _("server"), max_length=40, help_text=_("receiver (Flask) or django: all its processes.")
    )
    key = models.CharField(
        _("key"),
        max_length=120,
        help_text=_("status:<code>, info:<name> or process:<host>:<pid> (a heartbeat)."),
    )
    count = models.BigIntegerField(_("count"), default=0)
    value = models.CharField(
        _("value"), max_length=500, blank=True, help_text=_("The information of an info: key.")
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("server counter")
        verbose_name_plural = _("server counters")
        constraints = [
            models.UniqueConstraint(fields=["server", "key"], name="webhook_server_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.server} {self.key}"
