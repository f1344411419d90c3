"""Admin: placeholder registration, replaced below."""
from django.contrib import admin  # noqa: F401
