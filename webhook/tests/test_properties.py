"""Property-based tests: random and mutated payloads of every family.

Strategies start from each fixture JSON and mutate it (delete keys, replace values with
random JSON of other types, duplicate list items, nest deeper), or build random objects,
some shaped like a family's envelope so detection picks a parser. Properties:

1. the parsers (``detect``, ``client_key``, ``parse``) only ever raise ``WebhookError``;
2. ``ingest.receive`` never raises and never answers 5xx;
3. a delivery that ends ``failed`` or ``rejected`` leaves Message/Chat/Sender/PendingUpdate
   exactly as they were;
4. the same body delivered twice never creates rows the second time.
"""

from __future__ import annotations

import copy
import json
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from webhook import ingest, parsers
from webhook.events import MessageEvent, ParseResult
from webhook.exceptions import WebhookError
from webhook.models import Chat, Message, PendingUpdate, Sender, WebhookEvent
from webhook.tests.helpers import all_fixtures, fixture

# database=None keeps no examples; this keeps Hypothesis' own caches out of the repository too.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "multichat-hypothesis")

INSTANCES = {
    "baileys_sample": "test_instance",
    "wapi": "LITE-7XK2P9-QW3R8T",
    "evolution": "loja-centro",
    "zapi": "3D2B1A0C9E8F7A6B5C4D",
    "waha": "atendimento",
    "meta_cloud": "106540352242922",
    "wppconnect": "vendas",
    "ultramsg": "instance105938",
    "wuzapi": "suporte",
}
FIXTURES = {(family, name): fixture(family, name) for family, name in all_fixtures()}
FIXTURE_KEYS = sorted(FIXTURES)
PATH_EVENTS = ["", "messages-upsert", "messages-update", "webhookReceived", "presence", "x" * 300]

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- strategies ------------------------------------------------------------------------------

WEIRD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "🚀😊👍🏽",
        "a\x00b",
        "\x00",
        "\u202eRTL\u202c",
        "\u200f\u200e",
        "\ufeff",
        "<script>alert('x')</script>",
        "0",
        "-1",
        "1e400",
        "NaN",
        "true",
        "null",
        "x" * 1000,
        "5511987654321@s.whatsapp.net",
        "123@lid",
        "120363025246125486@g.us",
        "\ud800",
        "\udc00x",
    ]
)
TEXT = st.one_of(WEIRD_TEXT, st.text(max_size=20))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**70, -(2**70), 2**63, -(2**63) - 1, 2**64, 0, -1]),
    st.floats(allow_nan=False),
    TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(TEXT, children, max_size=3)
    ),
    max_leaves=6,
)


def _locations(node: Any) -> list[tuple[Any, Any]]:
    """(parent, key) of every node below the root, in a stable order."""
    found: list[tuple[Any, Any]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        items = (
            list(current.items())
            if isinstance(current, dict)
            else list(enumerate(current))
            if isinstance(current, list)
            else []
        )
        for key, value in items:
            found.append((current, key))
            stack.append(value)
    return found


def _mutate_once(draw, payload: dict[str, Any]) -> None:
    locations = _locations(payload)
    if not locations:
        payload[draw(TEXT)] = draw(JSON_VALUES)
        return
    parent, key = locations[draw(st.integers(0, len(locations) - 1))]
    operation = draw(st.sampled_from(["delete", "replace", "replace", "duplicate", "nest"]))
    value = parent[key]
    if operation == "delete":
        del parent[key]
    elif operation == "replace":
        parent[key] = draw(JSON_VALUES)
    elif operation == "duplicate":
        if isinstance(value, list) and value:
            value.append(copy.deepcopy(value[draw(st.integers(0, len(value) - 1))]))
        elif isinstance(parent, list):
            parent.insert(key, copy.deepcopy(value))
        else:
            parent[key] = [value, copy.deepcopy(value)]
    else:
        for _ in range(draw(st.integers(1, 5))):
            value = draw(st.sampled_from([lambda v: [v], lambda v: {"nested": v}]))(value)
        parent[key] = value


@st.composite
def mutated_payloads(draw, family: str | None = None) -> tuple[str, dict[str, Any]]:
    keys = [k for k in FIXTURE_KEYS if family is None or k[0] == family]
    family_name = draw(st.sampled_from(keys))
    payload = copy.deepcopy(FIXTURES[family_name])
    for _ in range(draw(st.integers(1, 4))):
        _mutate_once(draw, payload)
    return family_name[0], payload


ZAPI_TYPES = [
    "ReceivedCallback",
    "MessageStatusCallback",
    "DeliveryCallback",
    "ConnectedCallback",
    "DisconnectedCallback",
    "PresenceChatCallback",
]


@st.composite
def envelope_payloads(draw) -> tuple[str, dict[str, Any]]:
    """Random content inside each family's envelope, so the parser itself is reached."""
    family = draw(st.sampled_from(sorted(INSTANCES)))
    instance = INSTANCES[family]
    body = draw(JSON_VALUES)
    if family == "meta_cloud":
        payload = {"object": "whatsapp_business_account", "entry": _list(body)}
    elif family == "evolution":
        payload = {"event": draw(TEXT), "instance": instance, "data": body}
    elif family == "waha":
        payload = {"event": draw(TEXT), "session": instance, "payload": body}
    elif family == "wapi":
        payload = {"event": "webhook" + draw(TEXT), "instanceId": instance, **_obj(body)}
    elif family == "baileys_sample":
        payload = {"instanceId": instance, "key": _obj(body), "msgContent": body}
    elif family == "wppconnect":
        payload = {"event": draw(TEXT), "session": instance, **_obj(body)}
    elif family == "ultramsg":
        payload = {"event_type": draw(TEXT), "instanceId": instance, "data": _obj(body)}
    elif family == "wuzapi":
        payload = {"type": draw(TEXT), "event": _obj(body), "instanceName": instance}
    else:
        payload = {"type": draw(st.sampled_from(ZAPI_TYPES)), "instanceId": instance, **_obj(body)}
    payload.update(draw(st.dictionaries(TEXT, JSON_VALUES, max_size=3)))
    return family, payload


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}


RANDOM_OBJECTS = st.tuples(st.just("random"), st.dictionaries(TEXT, JSON_VALUES, max_size=6))
ANY_PAYLOAD = st.one_of(mutated_payloads(), envelope_payloads(), RANDOM_OBJECTS)

# --- 1. parsers raise only WebhookError ------------------------------------------------------


def _parse_or_webhook_error(
    family: str, payload: dict[str, Any], path_event: str
) -> ParseResult | None:
    parsers.detect(payload)
    assert isinstance(parsers.client_key(payload), str)
    try:
        result = parsers.parse(payload, path_event=path_event)
    except WebhookError as error:
        assert error.message
        return None
    assert isinstance(result, ParseResult)
    for item in result.events:
        assert isinstance(item.client_key, str)
        if isinstance(item, MessageEvent):
            assert isinstance(item.message_id, str) and item.message_id.strip()
            assert isinstance(item.chat_id, str) and item.chat_id.strip()
    return result


@pytest.mark.parametrize("family", sorted(INSTANCES))
@BOUNDED
@given(data=st.data())
def test_parsers_raise_only_webhook_errors_on_mutated_fixtures(family, data):
    _, payload = data.draw(mutated_payloads(family))
    _parse_or_webhook_error(family, payload, data.draw(st.sampled_from(PATH_EVENTS)))


@BOUNDED
@given(item=st.one_of(envelope_payloads(), RANDOM_OBJECTS), path_event=st.sampled_from(PATH_EVENTS))
def test_parsers_raise_only_webhook_errors_on_random_objects(item, path_event):
    _parse_or_webhook_error(*item, path_event)


# --- 2-4. ingest: no 5xx, nothing half-applied, idempotent ----------------------------------


@pytest.fixture
def tokens(make_client, settings) -> dict[str, str]:
    settings.WEBHOOK_META_APP_SECRET = ""
    settings.WEBHOOK_REQUIRE_TOKEN = True
    return {family: make_client(i).webhook_token for family, i in INSTANCES.items()}


def _rows() -> tuple[list[dict[str, Any]], ...]:
    return tuple(
        list(model.objects.order_by("pk").values())
        for model in (Message, Chat, Sender, PendingUpdate)
    )


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Message, Chat, Sender, PendingUpdate))


def _deliver(body: bytes, token: str, path: str) -> ingest.IngestResponse:
    request = ingest.InboundRequest(
        body=body,
        headers={"content-type": "application/json", "x-webhook-token": token},
        remote_addr="127.0.0.1",
        path=path,
    )
    response = ingest.receive(request)
    assert response.status < 500, (response.status, response.body)
    assert isinstance(response.body, dict)
    return response


def _event_status(response: ingest.IngestResponse) -> str | None:
    event_id = response.body.get("event_id")
    if event_id is None:
        return None
    return WebhookEvent.objects.get(pk=event_id).status


def _encode(payload: dict[str, Any], ascii_only: bool) -> bytes:
    return json.dumps(payload, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def _check_delivery(item, tokens, ascii_only: bool, path: str) -> None:
    family, payload = item
    token = tokens.get(family, tokens["baileys_sample"])
    body = _encode(payload, ascii_only)
    before = _rows()
    first = _deliver(body, token, path)
    status = _event_status(first)
    event(f"{family}: HTTP {first.status} {status}")  # shown by --hypothesis-show-statistics
    if first.status >= 400 or status in (WebhookEvent.Status.FAILED, WebhookEvent.Status.REJECTED):
        assert _rows() == before, f"{status} delivery changed rows: {first.body}"
        if status is not None:
            assert not Message.objects.filter(webhook_event_id=first.body["event_id"]).exists()
    after_first = _counts()
    second = _deliver(body, token, path)
    assert _counts() == after_first, ("second delivery created rows", first.body, second.body)
    if status == WebhookEvent.Status.PROCESSED:
        assert _event_status(second) in (
            WebhookEvent.Status.DUPLICATE,
            WebhookEvent.Status.PROCESSED,
        ), second.body


@contextmanager
def _rolled_back():
    """Each example starts from the same rows: clients only (a savepoint rolled back)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


PATHS = st.sampled_from(["/webhook/", "/webhook/messages-upsert/", "/webhook/presence/"])


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("family", sorted(INSTANCES))
@settings(BOUNDED, max_examples=60)
@given(data=st.data())
def test_ingest_mutated_fixtures_never_5xx_never_half_apply_and_are_idempotent(
    tokens, family, data
):
    item = data.draw(mutated_payloads(family))
    with _rolled_back():
        _check_delivery(item, tokens, data.draw(st.booleans()), data.draw(PATHS))


@pytest.mark.django_db(transaction=False)
@BOUNDED
@given(item=ANY_PAYLOAD, ascii_only=st.booleans(), path=PATHS)
def test_ingest_any_payload_never_5xx_never_half_applies_and_is_idempotent(
    tokens, item, ascii_only, path
):
    """State accumulates here on purpose: later examples meet rows of earlier ones."""
    _check_delivery(item, tokens, ascii_only, path)


@pytest.mark.django_db(transaction=False)
@BOUNDED
@given(data=st.data())
def test_ingest_on_raw_byte_mutations_of_fixtures(tokens, data):
    """Bytes-level damage: truncation, inserted bytes, deep prefixes; never a 5xx."""
    family, name = data.draw(st.sampled_from(FIXTURE_KEYS))
    body = bytearray(json.dumps(FIXTURES[(family, name)], ensure_ascii=False).encode())
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(body)))
        damage = data.draw(
            st.sampled_from(
                [b"", b"\x00", b"\xff", b"\xed\xa0\x80", b'"', b",", b"{", b"]", b"\\", b"NaN"]
            )
        )
        if damage:
            body[position:position] = damage
        else:
            del body[position:]
    with _rolled_back():
        _check_bytes(bytes(body), tokens[family])


def _check_bytes(body: bytes, token: str) -> None:
    before = _rows()
    response = _deliver(body, token, "/webhook/")
    event(f"HTTP {response.status} {_event_status(response)}")
    if response.status >= 400:
        assert response.body["ok"] is False and response.body["error"]
        assert _rows() == before
