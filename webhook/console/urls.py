from django.urls import path

from webhook.console import conversations, dashboard, events

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("fragmento/", dashboard.dashboard_live, name="dashboard-live"),
    path("conversas/", conversations.chat_list, name="chats"),
    path("conversas/<int:pk>/", conversations.chat_detail, name="chat"),
    path("conversas/<int:pk>/novas/", conversations.chat_live, name="chat-live"),
    path("eventos/", events.event_list, name="events"),
    path("eventos/ao-vivo/", events.event_live, name="events-live"),
    path("eventos/<int:pk>/", events.event_detail, name="event"),
    path("eventos/<int:pk>/reprocessar/", events.event_replay, name="event-replay"),
]
