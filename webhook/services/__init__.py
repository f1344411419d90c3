"""Writes (HackSoft style): keyword-only ``<entity>_<action>`` functions used by the processor,
the admin, the management commands and the views alike."""
