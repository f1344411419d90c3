"""Top-level tests (test_webhook.py) share the fixtures of webhook/tests/conftest.py."""

from webhook.tests.conftest import (  # noqa: F401 - re-exported as fixtures
    _fresh_body_quota,
    _fresh_client_directory,
    _isolated_spool,
    auth_headers,
    flask_app,
    make_client,
    post,
    sample_client,
    server,
)
