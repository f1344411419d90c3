"""The parts of ``test_webhook.py`` (the short entry point users run), one module per job.

It sends the README sample plus one message of each type to a running receiver and asks the
read API whether each was stored with the right type and content:

- ``payloads``: the messages sent, and what the read API must show for each;
- ``checking``: polling the read API until all are stored, and the pass/fail table;
- ``transport``: HTTP with the standard library only (no Django is needed in this mode);
- ``cli``: the command line, the tokens (``webhook.script_env``) and the exit codes.

The in-process tests of the same payloads: ``webhook/tests/test_live_check.py``.
"""
