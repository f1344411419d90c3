from django.urls import path

from webhook import views, views_media

app_name = "webhook"

urlpatterns = [
    path("", views.WebhookView.as_view(), name="receive"),
    path("status/", views.WebhookStatusView.as_view(), name="status"),
    path("test/", views.WebhookTestView.as_view(), name="test"),
    path("events/", views.WebhookEventsView.as_view(), name="events"),
    path("messages/", views.MessagesView.as_view(), name="messages"),
    path("media/<int:pk>/", views_media.media_file, name="media-file"),
    path("media/<int:pk>/thumb/", views_media.media_file, {"thumbnail": True}, name="media-thumb"),
    # A secret path segment for gateways that cannot send a header, optionally with the event.
    path("k/<str:token>/", views.WebhookView.as_view(), name="receive-token"),
    path("k/<str:token>/<str:event>/", views.WebhookView.as_view(), name="receive-token-event"),
    # Gateways that post each event kind to its own URL (Evolution byEvents, W-API, Z-API).
    path("<str:event>/", views.WebhookView.as_view(), name="receive-event"),
]
