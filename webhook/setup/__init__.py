"""The steps of ``setup_webhook.py`` (the short entry point users run), one module per job.

- ``envfile``: the ``.env`` it writes (fresh secrets, only the missing keys, mode 0600);
- ``database``: Django set up on that file, migrations, deliveries replayed for a new client;
- ``accounts``: the test client and the admin user (validated or generated password);
- ``summary``: what to paste into the gateway, and a ready curl;
- ``cli``: the command line and the order of the steps.

Nothing here imports Django at module level: the ``.env`` is written before settings load it.
"""


class SetupError(Exception):
    """A problem the user can fix; the message (in Portuguese) says how."""
