"""Real i18n (issue 12, item 7) and no CDN (item 8's test): English msgids in the code, the
pt-BR texts in ``locale/pt_BR``; pt-BR by default, English only by the language switch; the
terminal (system checks, the receiver's banner, every command's ``--help``) in pt-BR; no
template or stylesheet loading an http(s):// asset."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import ManagementUtility, get_commands, load_command_class
from django.urls import reverse
from django.utils import timezone, translation

from webhook.models import Chat, Client, MediaFile, Message, WebhookEvent

ROOT = Path(settings.BASE_DIR)
CATALOG = ROOT / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
# msgids the tests look up, kept out of gettext calls so that makemessages does not list the
# tests among the places that use them
GENERATE_TOKEN, LOG_OUT, ADMINISTRATION = "Generate a new token", "Log out", "Administration"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdrf]|%[sdrf]")
# Left out of the project's copy for makemessages: what git ignores, nothing it would read.
NOT_COPIED = ("__pycache__", "*.pyc", "*.sqlite3*", ".*", "screenshots", "staticfiles", "spool")
NOT_COPIED += ("media_files", "node_modules", "*.png", "*.log")


# -- the catalog ----------------------------------------------------------------------------


def _entries(catalog) -> dict[tuple[str, str], object]:
    return {(e.msgctxt or "", e.msgid): e for e in catalog if e.msgid and not e.obsolete}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> polib.POFile:
    """The catalog as ``makemessages -l pt_BR`` leaves it when run on a copy of the project:
    every msgid the code and templates use, with the committed translations merged in."""
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"GNU gettext is not installed ({', '.join(missing)} missing)")
    copy = tmp_path_factory.mktemp("project") / "copy"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    env = {**os.environ, "WEBHOOK_ENV_FILE": str(copy / "no.env")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pt_BR", "--no-obsolete"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    return polib.pofile(str(copy / CATALOG.relative_to(ROOT)))


def test_every_msgid_the_code_uses_has_a_pt_br_translation(regenerated):
    untranslated = [
        e.msgid
        for e in regenerated
        if e.msgid and not e.obsolete and (not e.translated() or "fuzzy" in e.flags)
    ]
    assert not untranslated, (
        "strings without a pt-BR translation (add them to locale/pt_BR/LC_MESSAGES/django.po "
        f"and compile the .mo): {untranslated}"
    )


def test_the_committed_catalog_holds_what_makemessages_finds_and_nothing_stale(regenerated):
    committed = polib.pofile(str(CATALOG))
    assert not [e.msgid for e in committed if e.obsolete], "remove the obsolete (#~) entries"
    found, kept = set(_entries(regenerated)), set(_entries(committed))
    assert not found - kept, f"run makemessages -l pt_BR: missing {sorted(found - kept)}"
    assert not kept - found, f"entries no code uses any more: {sorted(kept - found)}"


def test_translations_keep_the_placeholders_of_their_msgid():
    problems = []
    for entry in polib.pofile(str(CATALOG)):
        if not entry.msgid or entry.obsolete:
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in translations:
            # a singular may spell the number out ("um") instead of %(n)s: only plurals and
            # plain entries must keep every placeholder
            got = sorted(PLACEHOLDER.findall(text))
            if got != wanted and not (entry.msgid_plural and text == entry.msgstr_plural[0]):
                problems.append((entry.msgid, text))
    assert not problems


def test_the_committed_mo_matches_the_po():
    po = polib.pofile(str(CATALOG))
    mo = polib.mofile(str(CATALOG.with_suffix(".mo")))

    def table(catalog) -> dict:
        rows = {}
        for e in catalog:
            if not e.msgid or e.obsolete or "fuzzy" in e.flags:
                continue
            value = (
                tuple(v for _k, v in sorted(e.msgstr_plural.items()))
                if e.msgid_plural
                else e.msgstr
            )
            rows[(e.msgctxt or "", e.msgid, e.msgid_plural or "")] = value
        return rows

    source, compiled = table(po), table(mo)
    assert source == compiled, (
        f"recompile the .mo: {sorted(set(source.items()) ^ set(compiled.items()), key=str)[:10]}"
    )


# Our catalog comes first for every text, Django's own too: a msgid that Django also uses must
# keep Django's pt-BR or the admin changes words. Allowed on purpose: the console's shorter
# "Sair" (the admin's "Encerrar sessão" is the same action).
DJANGO_OVERRIDES_ALLOWED = {"Log out"}


def test_our_catalog_keeps_djangos_own_translations():
    import django

    django_root = Path(django.__file__).parent
    theirs: dict[str, set[str]] = {}
    for path in django_root.glob("**/locale/pt_BR/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(path)):
            if entry.msgstr and not entry.msgctxt:
                theirs.setdefault(entry.msgid, set()).add(entry.msgstr)
    changed = {
        e.msgid: (e.msgstr, sorted(theirs[e.msgid]))
        for e in polib.pofile(str(CATALOG))
        if e.msgid in theirs and not e.msgid_plural and e.msgstr not in theirs[e.msgid]
    }
    assert set(changed) <= DJANGO_OVERRIDES_ALLOWED, changed


def test_pt_br_is_the_default_and_english_the_alternative():
    with translation.override("pt-br"):
        assert translation.gettext(GENERATE_TOKEN) == "Gerar novo token"
        assert str(Client._meta.verbose_name_plural) == "clientes"
    with translation.override("en"):
        assert str(Client._meta.verbose_name_plural) == "clients"
    assert settings.LANGUAGE_CODE == "pt-br"
    assert "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE


# -- pages: pt-BR unless the language switch says English -----------------------------------


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("chefe", "chefe@example.com", "senha-muito-segura-1")


@pytest.fixture
def rows(db) -> dict:
    client = Client.objects.create(name="Loja", instance_id="loja")
    chat = Chat.objects.create(client=client, chat_id="5511999990000@s.whatsapp.net")
    event = WebhookEvent.objects.create(
        client=client, received_at=timezone.now(), body="{}", status="failed", delivery_id="d-1"
    )
    message = Message.objects.create(
        client=client,
        chat=chat,
        external_id="m-1",
        text="oi",
        timestamp=timezone.now(),
        webhook_event=event,
        type=Message.Type.IMAGE,
    )
    MediaFile.objects.create(client=client, message=message, source="url", media_type="image")
    return {"chat": chat, "event": event}


def _admin_pages() -> list[tuple[str, type]]:
    pages = [("admin:index", None)]
    for model in admin.site._registry:
        if model._meta.app_label == "webhook":
            pages.append((f"admin:webhook_{model._meta.model_name}_changelist", model))
    return pages


def _console_pages(rows) -> list[str]:
    return [
        reverse("console:dashboard"),
        reverse("console:chats"),
        reverse("console:chat", args=[rows["chat"].pk]),
        reverse("console:events"),
        reverse("console:event", args=[rows["event"].pk]),
    ]


def _labels(model, language: str) -> list[str]:
    """Texts a page must show in ``language``: Django admin's own logout button and, for a
    model's list, its name from our catalog."""
    with translation.override(language):
        labels = [translation.gettext(LOG_OUT)]
        if model is not None:
            labels.append(str(model._meta.verbose_name_plural).capitalize())
        else:
            labels.append(translation.gettext(ADMINISTRATION))
    return labels


def _get(client, path: str, **extra):
    response = client.get(path, **extra)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("name,model", _admin_pages(), ids=lambda v: str(v))
def test_admin_pages_answer_pt_br_and_english_only_by_the_cookie(client, superuser, name, model):
    client.force_login(superuser)
    path = reverse(name)
    pt, en = _labels(model, "pt-br"), _labels(model, "en")
    assert pt != en, "the labels chosen must differ between the two languages"
    for extra in ({}, {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}):
        html = _get(client, path, **extra)
        assert 'lang="pt-br"' in html
        assert all(label in html for label in pt), (path, pt)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _get(client, path)
    assert 'lang="en"' in html
    assert all(label in html for label in en), (path, en)


def test_console_pages_answer_pt_br_and_english_only_by_the_cookie(client, superuser, rows):
    client.force_login(superuser)
    with translation.override("pt-br"):
        pt = translation.gettext(LOG_OUT)
    assert pt == "Sair"
    for path in _console_pages(rows):
        for extra in ({}, {"HTTP_ACCEPT_LANGUAGE": "en"}):
            html = _get(client, path, **extra)
            assert '<html lang="pt-br"' in html and pt in html, path
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for path in _console_pages(rows):
        html = _get(client, path)
        assert '<html lang="en"' in html and ">Log out<" in html, path


def test_the_language_switch_sets_the_cookie(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/painel/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert ">Log out<" in _get(client, "/painel/")


def test_the_release_confirmation_page_is_pt_br(client, superuser, rows):
    client.force_login(superuser)
    rows["event"].status = WebhookEvent.Status.UNASSIGNED
    rows["event"].save(update_fields=["status"])
    response = client.post(
        reverse("admin:webhook_webhookevent_changelist"),
        {"action": "release", "_selected_action": [rows["event"].pk]},
    )
    html = response.content.decode()
    assert "1 entrega sem cliente será liberada." in html
    assert "Sim, liberar e aplicar" in html and "Não, voltar" in html


# -- the terminal: system checks, the receiver's banner, --help of every command --------------


def _script_env(tmp_path) -> dict[str, str]:
    env = {**os.environ, "WEBHOOK_ENV_FILE": str(tmp_path / "no.env"), "WEBHOOK_API_TOKEN": ""}
    for name in ("DJANGO_SETTINGS_MODULE", "LANG", "LANGUAGE", "LC_ALL"):
        env.pop(name, None)
    env["LANG"] = "en_US.UTF-8"  # the terminal's locale does not choose the language
    return env


def _run(tmp_path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=_script_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_check_warns_in_pt_br(tmp_path):
    result = _run(tmp_path, "manage.py", "check")
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert "(webhook.W002) WEBHOOK_API_TOKEN está vazio: a API de leitura só responde" in out
    assert "HINT: Rode setup_webhook.py ou defina WEBHOOK_API_TOKEN" in out
    assert "is empty" not in out


def test_the_receivers_help_is_pt_br(tmp_path):
    result = _run(tmp_path, "servidor_webhook_local.py", "--help")
    assert result.returncode == 0, result.stderr
    assert "Servidor webhook local do MultiChat (Flask + ngrok)." in result.stdout
    assert "não abrir o túnel ngrok" in result.stdout


@pytest.mark.django_db
def test_the_receivers_banner_and_its_warnings_are_pt_br(monkeypatch, settings, capsys):
    """The banner as ``main()`` prints it (servers stubbed out), even if the thread was left in
    English by an earlier request: the terminal reads the site's language."""
    import servidor_webhook_local
    from webhook.receiver import serving, supervision

    settings.WEBHOOK_API_TOKEN = ""
    monkeypatch.setenv("WEBHOOK_APPLY_MODE", "inline")
    monkeypatch.setattr(supervision.ApplierSupervisor, "start", lambda self: self)
    monkeypatch.setattr(serving, "serve", lambda app, args: None)
    translation.activate("en")
    try:
        servidor_webhook_local.main(["--no-tunnel", "--port", "5097"])
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    out = capsys.readouterr().out
    assert "MultiChat Webhook — receptor Flask" in out
    assert "  Webhook local:   http://localhost:5097/webhook" in out
    assert "  Teste:           curl -X POST http://localhost:5097/test" in out
    assert "sem túnel público: desligado com --no-tunnel" in out
    assert "  ATENÇÃO webhook.W002: WEBHOOK_API_TOKEN está vazio" in out
    assert "Ctrl+C para parar." in out


def _webhook_commands() -> list[str]:
    return sorted(name for name, app in get_commands().items() if app == "webhook")


def test_there_are_webhook_commands():
    assert {"webhook_serve", "webhook_reprocess", "webhook_apply"} <= set(_webhook_commands())


@pytest.mark.parametrize("name", _webhook_commands())
def test_every_webhook_command_has_a_pt_br_help(name, capsys):
    """``--help`` used to crash on lazy help texts (TypeError ... '__proxy__')."""
    with translation.override("pt-br"):
        command = load_command_class("webhook", name)
        expected = str(command.help)
        with pytest.raises(SystemExit) as exit_info:
            ManagementUtility(["manage.py", name, "--help"]).execute()
    assert exit_info.value.code in (0, None)
    out = " ".join(capsys.readouterr().out.split())
    with translation.override("en"):
        english = str(load_command_class("webhook", name).help)
    assert expected != english, "the command's help has no pt-BR translation"
    assert " ".join(expected.split()) in out


def test_webhook_serve_help_in_a_terminal(tmp_path):
    result = _run(tmp_path, "manage.py", "webhook_serve", "--help")
    assert result.returncode == 0, result.stderr
    assert "Sobe o servidor Django (admin, status, API) com o granian." in result.stdout
    assert "porta (padrão: 8000)" in result.stdout


def test_the_scripts_read_the_catalog_without_django(tmp_path):
    """test_webhook.py runs without Django set up: its texts come from the same catalog."""
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from webhook.live_check.checking import render_table;"
        "from django.apps import apps; assert not apps.ready;"
        "print(render_table([]))"
    )
    result = _run(tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    assert "Gravada" in result.stdout and "Resultado: 0 de 0 mensagens OK" in result.stdout


# -- no CDN: nothing a page loads comes from another site -------------------------------------

TEMPLATES = ROOT / "webhook" / "templates"
STATIC = ROOT / "webhook" / "static"
REMOTE = r"""\s*=\s*["']?\s*(?:https?:)?//"""
ASSET_PATTERNS = (
    re.compile(r"<script\b[^>]*\bsrc" + REMOTE, re.I),
    re.compile(r"<link\b[^>]*\bhref" + REMOTE, re.I),
    re.compile(
        r"<(?:img|source|video|audio|track|iframe|embed|input)\b[^>]*\b(?:src|srcset|poster)"
        + REMOTE,
        re.I,
    ),
    re.compile(r"<object\b[^>]*\bdata" + REMOTE, re.I),
    re.compile(r"""@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.I),
)


def remote_assets(text: str) -> list[str]:
    return [m.group(0) for pattern in ASSET_PATTERNS for m in pattern.finditer(text)]


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://unpkg.com/htmx.org@2.0.0"></script>',
        "<script defer src='//cdn.example.com/x.js'></script>",
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/x.css">',
        '<img alt="" src="http://example.com/a.png">',
        "@import url('https://fonts.googleapis.com/css2?family=Inter');",
        '@import "https://example.com/a.css";',
        ".a { background: url(https://example.com/bg.png) }",
    ],
)
def test_the_asset_scan_catches_remote_assets(snippet):
    assert remote_assets(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<a href="https://docs.ngrok.com/">ngrok</a>',
        "<script src=\"{% static 'webhook/vendor/htmx.min.js' %}\"></script>",
        '<link rel="stylesheet" href="{% static \'webhook/console.css\' %}">',
        ".a { background: url(data:image/svg+xml;base64,AAAA) }",
        '<img src="/webhook/media/1/">',
    ],
)
def test_the_asset_scan_lets_links_and_local_assets_be(snippet):
    assert not remote_assets(snippet)


def test_no_template_or_stylesheet_loads_a_remote_asset():
    files = [*TEMPLATES.rglob("*.html"), *STATIC.rglob("*.css")]
    assert any(f.suffix == ".css" for f in files) and any(f.suffix == ".html" for f in files)
    found = {
        str(f.relative_to(ROOT)): hits
        for f in files
        if (hits := remote_assets(f.read_text(encoding="utf-8", errors="replace")))
    }
    assert not found, f"vendor these assets instead: {found}"
