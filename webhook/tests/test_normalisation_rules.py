"""Rules every family follows the same way (docs/formats.md §3), checked on every fixture."""

from __future__ import annotations

import pytest

from webhook.events import MessageEvent, MessageType
from webhook.parsers import parse
from webhook.tests.helpers import all_fixtures, fixture

DOCUMENTS = [
    (family, name)
    for family, name in all_fixtures()
    if any(
        isinstance(e, MessageEvent) and e.type is MessageType.DOCUMENT
        for e in parse(fixture(family, name)).events
    )
]


@pytest.mark.parametrize(("family", "name"), DOCUMENTS, ids=[f"{f}/{n}" for f, n in DOCUMENTS])
def test_a_documents_text_is_its_caption_never_its_name(family, name):
    """Issue 13, defect 3: Z-API put a caption-less document's title (its name) in ``text``."""
    for event in parse(fixture(family, name)).events:
        if isinstance(event, MessageEvent) and event.type is MessageType.DOCUMENT:
            assert event.media is not None and event.media.file_name, (family, name)
            assert event.text not in (event.media.file_name, event.media.file_name.rsplit(".")[0])


def test_there_are_documents_of_several_families():
    assert len({family for family, _ in DOCUMENTS}) >= 5
