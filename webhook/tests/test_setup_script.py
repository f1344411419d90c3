"""setup_webhook.py (its steps: webhook/setup/) run in-process against the test database, always
on a temporary .env."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

import setup_webhook
from webhook.models import Client, Message, WebhookEvent
from webhook.setup import accounts, envfile, summary
from webhook.tests.helpers import fixture_bytes

pytestmark = pytest.mark.django_db

# Everything setup_webhook.py may put into os.environ (it loads the .env it writes).
TOUCHED_VARIABLES = (
    *(entry.key for entry in envfile.ENV_ENTRIES),
    envfile.CLIENT_TOKEN_ENTRY.key,
    "WEBHOOK_ENV_FILE",
    "DJANGO_SETTINGS_MODULE",
)


@pytest.fixture(autouse=True)
def restored_environ(monkeypatch):
    """Whatever the script loads into os.environ is undone after each test."""
    for name in TOUCHED_VARIABLES:
        monkeypatch.setenv(name, os.environ.get(name, "placeholder"))
        if name not in ("DJANGO_SETTINGS_MODULE",):
            monkeypatch.delenv(name)


@pytest.fixture
def env_file(tmp_path) -> Path:
    return tmp_path / ".env"


@pytest.fixture
def run_setup(env_file, capsys):
    def run(*extra: str) -> tuple[int, str, str]:
        code = setup_webhook.main(["--no-input", "--env-file", str(env_file), *extra])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def env_values(path: Path) -> dict[str, str]:
    return envfile.read_env(path)


def generated_password(out: str) -> str:
    match = re.search(r'SENHA GERADA para o admin "[^"]+": (\S+)', out)
    assert match, out
    return match.group(1)


def test_first_run_writes_a_private_env_with_fresh_secrets(run_setup, env_file):
    code, out, err = run_setup()
    assert code == 0, err
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = env_values(env_file)
    assert len(values["DJANGO_SECRET_KEY"]) >= 50
    assert len(values["WEBHOOK_API_TOKEN"]) >= 40
    assert values["DJANGO_SECRET_KEY"] != values["WEBHOOK_API_TOKEN"]
    assert (values["DJANGO_DEBUG"], values["DJANGO_SECURE_COOKIES"]) == ("0", "0")
    assert values["WEBHOOK_REQUIRE_TOKEN"] == "1"
    text = env_file.read_text(encoding="utf-8")
    for name in (
        "NGROK_AUTHTOKEN",
        "WEBHOOK_META_APP_SECRET",
        "WEBHOOK_META_VERIFY_TOKEN",
        "DATABASE_URL",
    ):
        assert f"# {name}=" in text
        assert name not in values  # commented out, not set
    client = Client.objects.get(instance_id="test_instance")
    assert client.name == "Cliente de teste"
    assert values["WEBHOOK_CLIENT_TOKEN"] == client.webhook_token


def test_the_real_project_env_is_not_touched(run_setup, env_file):
    real = Path(setup_webhook.BASE_DIR) / ".env"
    before = real.read_bytes() if real.exists() else None
    assert run_setup()[0] == 0
    assert (real.read_bytes() if real.exists() else None) == before
    assert env_file.exists()


def test_second_run_changes_nothing(run_setup, env_file):
    assert run_setup()[0] == 0
    first_text = env_file.read_text(encoding="utf-8")
    token = Client.objects.get().webhook_token
    code, out, err = run_setup()
    assert code == 0, err
    assert env_file.read_text(encoding="utf-8") == first_text
    assert "sem alterações" in out
    assert Client.objects.count() == 1
    assert Client.objects.get().webhook_token == token
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert "SENHA GERADA" not in out
    assert "já existia (senha mantida)" in out


def test_existing_env_only_gets_the_missing_keys(run_setup, env_file):
    env_file.write_text(
        "# minha configuração\nDJANGO_SECRET_KEY=minha-chave-que-ja-existia-0123456789\n"
        "DJANGO_DEBUG=1\nNGROK_AUTHTOKEN=meu-token-ngrok\n# DATABASE_URL=postgres://localhost/x\n",
        encoding="utf-8",
    )
    env_file.chmod(0o644)
    assert run_setup()[0] == 0
    values = env_values(env_file)
    assert values["DJANGO_SECRET_KEY"] == "minha-chave-que-ja-existia-0123456789"
    assert values["DJANGO_DEBUG"] == "1"
    assert values["NGROK_AUTHTOKEN"] == "meu-token-ngrok"
    assert len(values["WEBHOOK_API_TOKEN"]) >= 40
    assert values["DJANGO_SECURE_COOKIES"] == "0"
    text = env_file.read_text(encoding="utf-8")
    assert text.startswith("# minha configuração\n")
    assert text.count("DJANGO_SECRET_KEY=") == 1
    assert text.count("NGROK_AUTHTOKEN") == 1
    assert text.count("DATABASE_URL=") == 1  # the user's commented line is kept, not repeated
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_placeholders_copied_from_env_example_are_replaced(run_setup, env_file):
    env_file.write_text(
        "DJANGO_SECRET_KEY=troque-por-um-valor-aleatorio\nWEBHOOK_API_TOKEN=\nDJANGO_DEBUG=0\n",
        encoding="utf-8",
    )
    assert run_setup()[0] == 0
    values = env_values(env_file)
    assert not values["DJANGO_SECRET_KEY"].startswith("troque")
    assert len(values["DJANGO_SECRET_KEY"]) >= 50
    assert len(values["WEBHOOK_API_TOKEN"]) >= 40
    assert env_file.read_text(encoding="utf-8").count("WEBHOOK_API_TOKEN=") == 1


def test_env_example_can_be_copied_as_is(run_setup, env_file):
    example = Path(setup_webhook.BASE_DIR) / ".env.example"
    env_file.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_setup()[0] == 0
    values = env_values(env_file)
    assert len(values["DJANGO_SECRET_KEY"]) >= 50
    assert len(values["WEBHOOK_API_TOKEN"]) >= 40
    assert not any(value.startswith("troque") for value in values.values())


def test_env_example_lists_every_variable_settings_reads():
    source = (Path(django_settings.BASE_DIR) / "django_project" / "settings.py").read_text()
    read = set(
        re.findall(
            r"""(?:environ\.get|env_bool|env_int|env_list)\(\s*["']([A-Z0-9_]+)["']""", source
        )
    )
    read |= {"DATABASE_URL"}  # read by dj_database_url.config()
    example = (Path(setup_webhook.BASE_DIR) / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert read - listed == set()


def test_admin_gets_a_generated_password_shown_once(run_setup):
    code, out, err = run_setup()
    assert code == 0, err
    password = generated_password(out)
    assert out.count(password) == 1
    assert "guarde esta senha" in out.lower()
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff
    assert user.check_password(password)


def test_weak_admin_password_is_refused(run_setup):
    code, out, err = run_setup("--admin-password", "123")
    assert code != 0
    assert "senha recusada" in err
    assert not get_user_model().objects.filter(username="admin").exists()


def test_admin_password_flag_creates_and_then_changes_the_password(run_setup):
    assert (
        run_setup(
            "--admin-user",
            "gerente",
            "--admin-email",
            "g@example.com",
            "--admin-password",
            "Sabia-Laranjeira-2024",
        )[0]
        == 0
    )
    user = get_user_model().objects.get(username="gerente")
    assert user.email == "g@example.com"
    assert user.check_password("Sabia-Laranjeira-2024")
    code, out, _ = run_setup("--admin-user", "gerente", "--admin-password", "Outra-Senha-Forte-77")
    assert code == 0
    user.refresh_from_db()
    assert user.check_password("Outra-Senha-Forte-77")
    assert "senha atualizada" in out
    assert "Outra-Senha-Forte-77" not in out


def test_weak_password_for_an_existing_admin_keeps_the_old_one(run_setup):
    assert run_setup("--admin-password", "Sabia-Laranjeira-2024")[0] == 0
    code, _, err = run_setup("--admin-password", "password")
    assert code != 0 and "senha recusada" in err
    assert get_user_model().objects.get(username="admin").check_password("Sabia-Laranjeira-2024")


def test_existing_client_keeps_its_token_and_gets_the_new_name(run_setup, make_client):
    client = make_client("loja_1", name="Nome antigo")
    code, out, _ = run_setup("--instance-id", "loja_1", "--client-name", "Loja Um")
    assert code == 0
    client_after = Client.objects.get(instance_id="loja_1")
    assert client_after.webhook_token == client.webhook_token
    assert client_after.name == "Loja Um"
    assert Client.objects.count() == 1
    assert "já existia" in out


def test_output_tells_what_to_paste_into_the_gateway(run_setup):
    code, out, _ = run_setup()
    assert code == 0
    token = Client.objects.get().webhook_token
    assert "http://localhost:5000/webhook" in out
    assert "http://localhost:8000/admin/" in out
    assert "http://localhost:8000/webhook/status/" in out
    assert "http://localhost:8000/webhook/messages/" in out
    assert f"X-Webhook-Token: {token}" in out
    assert f"http://localhost:5000/webhook/k/{token}/" in out
    assert "curl -X POST http://localhost:5000/webhook" in out
    assert '"instanceId": "test_instance"' in out


def test_quiet_prints_little_but_still_the_password(run_setup):
    code, out, _ = run_setup("--quiet")
    assert code == 0
    assert "SENHA GERADA" in out
    assert "curl" not in out
    assert len(out.strip().splitlines()) <= 5


def test_curl_sample_is_accepted_by_the_receiver(post, make_client):
    import json
    import shlex

    client = make_client("test_instance")
    words = shlex.split(
        summary.sample_curl("http://x/webhook", client.webhook_token, "test_instance")
    )
    body = words[words.index("-d") + 1]
    header = words[words.index("-H", words.index("-H") + 1) + 1]
    name, value = header.split(": ", 1)
    reply = post(body.encode(), {name.lower(): value})
    assert reply.status == 200, reply.body
    assert json.loads(body)["key"]["id"] == "test_message_123"
    assert Message.objects.get(external_id="test_message_123").text == "Mensagem de teste"


def test_unassigned_events_without_its_token_stay_unassigned_once_the_client_exists(
    post, run_setup
):
    """Anyone could have posted them: creating the client does not apply them (the operator
    can, in the admin); setup says so."""
    reply = post(fixture_bytes("baileys_sample", "readme_sample"))
    assert reply.body["status"] == "unassigned", reply.body
    assert not Message.objects.exists()
    code, out, err = run_setup()
    assert code == 0, err
    assert not Message.objects.exists()
    assert WebhookEvent.objects.get().status == "unassigned"
    assert "reprocessados" in out
    assert "não traziam o token deste cliente" in out
    assert "Liberar entregas sem cliente" in out


def test_replay_is_skipped_with_a_note_when_the_service_is_missing(post, run_setup, monkeypatch):
    post(fixture_bytes("baileys_sample", "readme_sample"))
    monkeypatch.setitem(sys.modules, "webhook.services.replay", None)  # import raises ImportError
    code, out, err = run_setup()
    assert code == 0, err
    assert "Nota: 1 evento(s) sem cliente" in out
    assert WebhookEvent.objects.get().status == "unassigned"


def test_empty_instance_id_is_a_clear_error(run_setup):
    code, _, err = run_setup("--instance-id", "  ")
    assert code == 1
    assert "--instance-id" in err


class _Terminal:
    """A stand-in for an interactive stdin."""

    def isatty(self) -> bool:
        return True


def test_interactive_run_asks_for_the_password_twice_and_validates_it(
    env_file, capsys, monkeypatch
):
    answers = iter(
        [
            "Sabia-Laranjeira-2024",
            "outra",
            "123",
            "123",
            "Sabia-Laranjeira-2024",
            "Sabia-Laranjeira-2024",
        ]
    )
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(accounts.getpass, "getpass", fake_getpass)
    assert setup_webhook.main(["--env-file", str(env_file)]) == 0
    out = capsys.readouterr().out
    assert "As senhas não conferem" in out
    assert "Senha recusada" in out
    assert len(prompts) == 6
    assert "SENHA GERADA" not in out
    assert get_user_model().objects.get(username="admin").check_password("Sabia-Laranjeira-2024")


def test_interactive_empty_answer_generates_a_password(env_file, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(accounts.getpass, "getpass", lambda prompt="": "")
    assert setup_webhook.main(["--env-file", str(env_file)]) == 0
    password = generated_password(capsys.readouterr().out)
    assert get_user_model().objects.get(username="admin").check_password(password)
