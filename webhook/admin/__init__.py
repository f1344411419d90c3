"""Admin: clients and conversations editable; raw events and derived statistics read-only.

Every column label comes from the models' (Portuguese) verbose names; the few computed columns
carry their own. Raw bodies and headers are pretty-printed and always HTML-escaped: they are
whatever a sender chose to put there.

One module per job; Django autodiscovers ``webhook.admin``, so importing the modules here is
what registers their admins. Modules share helpers through ``webhook.admin.common``, never
through this package.
"""

from webhook.admin import (  # noqa: F401  (imported to register their ModelAdmins)
    clients,
    conversation,
    deliveries,
    drift,
    media,
    stats,
)
