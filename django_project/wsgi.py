"""WSGI entry point for Django (gunicorn django_project.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
application = get_wsgi_application()

from webhook import server_stats  # noqa: E402 - Django is set up by the line above

server_stats.enable(server_stats.DJANGO)  # its /webhook/ answers, over all its workers
