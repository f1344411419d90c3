from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView

from webhook import views_ops
from webhook.views import WebhookView

admin.site.site_header = "MultiChat Webhook"
admin.site.site_title = "MultiChat Webhook"
admin.site.index_title = gettext_lazy("Administration")
# The sidebar repeats the index and takes 280 px the change lists need on a laptop screen.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(url="/painel/", permanent=False)),
    # Browsers ask for it on every page (the admin's too): the console's icon, not a 404.
    path("favicon.ico", RedirectView.as_view(url="/static/webhook/favicon.svg", permanent=True)),
    # Probes and Prometheus (webhook.health, webhook.metrics_export): no login, no secrets.
    path("healthz", views_ops.healthz, name="healthz"),
    path("readyz", views_ops.readyz, name="readyz"),
    path("metrics", views_ops.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("painel/", include("webhook.console.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("webhook/", include("webhook.urls")),
    # Gateways configured without the trailing slash must not hit a redirect (POST bodies are lost).
    path("webhook", csrf_exempt(WebhookView.as_view())),
]
