"""The operator console (issue 12): dashboard, conversations and event tail, server-rendered,
for logged-in staff, each user limited to their clients (``webhook.access``)."""
