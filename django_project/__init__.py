"""The Django project; its Celery app is loaded with it (the queue mode's tasks)."""

from django_project.celery import app as celery_app

__all__ = ("celery_app",)
