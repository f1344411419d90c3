"""Data model: clients, the raw evidence of every delivery, and the normalised conversation.

The models live in modules by job; every public name is re-exported here, so
``from webhook.models import X`` (code and migrations alike) is the one way to import them.
Submodules import each other by their own module (``webhook.models.clients``), never through
this package, so imports run one way.
"""

from webhook.models.clients import Client, new_token
from webhook.models.conversation import Chat, Message, PendingUpdate, Sender
from webhook.models.deliveries import UnrecognisedItem, WebhookEvent
from webhook.models.media import MediaFile
from webhook.models.servers import ServerCounter
from webhook.models.stats import ContactStats, MessageStats, RealTimeStats

__all__ = [
    "Chat",
    "Client",
    "ContactStats",
    "MediaFile",
    "Message",
    "MessageStats",
    "PendingUpdate",
    "RealTimeStats",
    "Sender",
    "ServerCounter",
    "UnrecognisedItem",
    "WebhookEvent",
    "new_token",
]
