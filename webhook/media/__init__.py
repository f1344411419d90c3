"""Media files of messages: fetched, decrypted and stored in the background.

The message is applied at once (``webhook.services.bulk`` also inserts its pending
:class:`~webhook.models.MediaFile` row); the file follows, fetched by the loop in
``webhook.media.loop`` beside the applier. Modules: ``decrypt`` (WhatsApp media encryption),
``safe_http`` (SSRF-safe streaming downloads), ``sources`` (where each family's file comes
from), ``storage`` (Django storage, thumbnails, type sniffing), ``services`` (rows and one
fetch), ``loop`` (the background loop).
"""
