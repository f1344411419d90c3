from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhookConfig(AppConfig):
    name = "webhook"
    verbose_name = _("WhatsApp webhook")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from webhook import checks  # noqa: F401  (registers the system checks)
