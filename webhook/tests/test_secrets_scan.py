"""No credential is committed: every file tracked by git is scanned for secret-looking text.

Obvious placeholders (FAKE, test, dummy, example, exemplo, troque...) are allowed, plus a
small explicit list. The patterns are assembled from pieces so this file never matches them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DASHES = "-" * 5
KEY_NAMES = "|".join(["SECRET_KEY", "TOKEN", "PASSWORD", "APIKEY", "API_KEY", "AUTHTOKEN"])
PATTERNS = {
    # ngrok authtokens: "2" + 26 alphanumerics + "_" + the rest (not inside base64 data)
    "ngrok authtoken": re.compile(
        r"(?<![A-Za-z0-9+/])2[0-9A-Za-z]{26}_[0-9A-Za-z]{20,}(?![A-Za-z0-9+/=])"
    ),
    "secret assignment": re.compile(
        rf"(?:{KEY_NAMES})[\"']?\s*[=:]\s*[\"'](?P<value>[A-Za-z0-9_\-]{{16,}})[\"']", re.IGNORECASE
    ),
    "private key": re.compile(DASHES + r"BEGIN [A-Z ]*PRIVATE KEY" + DASHES),
    "AWS access key": re.compile(r"(?<![A-Za-z0-9+/])AKIA[0-9A-Z]{16}(?![A-Za-z0-9+/=])"),
}
PLACEHOLDER = re.compile(r"fake|test|dummy|example|exemplo|troque", re.IGNORECASE)
# Values that are plainly not secrets but carry none of the placeholder words.
ALLOWED_VALUES = frozenset({"meu-token-de-verificacao"})
MAX_BYTES = 2 * 1024 * 1024


def _tracked_files() -> list[str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    result = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"not a git checkout: {result.stderr.decode(errors='replace').strip()}")
    return [name for name in result.stdout.decode().split("\0") if name]


def _allowed(match: re.Match[str]) -> bool:
    value = match.groupdict().get("value") or match.group(0)
    return bool(PLACEHOLDER.search(value)) or value in ALLOWED_VALUES


def scan_text(text: str) -> list[tuple[int, str]]:
    """(line number, pattern name) for every secret-looking, non-placeholder match."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for name, pattern in PATTERNS.items():
            if any(not _allowed(m) for m in pattern.finditer(line)):
                found.append((number, name))
    return found


def _read(path: Path) -> str | None:
    try:
        data = path.read_bytes()[:MAX_BYTES]
    except OSError:  # tracked but deleted in the working tree
        return None
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", "replace")


def test_no_secrets_in_tracked_files():
    offending = []
    for name in _tracked_files():
        text = _read(REPO / name)
        if text is not None:
            offending += [f"{name}:{line}: {kind}" for line, kind in scan_text(text)]
    assert not offending, "possible committed secrets:\n" + "\n".join(offending)


def test_no_env_file_is_tracked():
    env_files = [n for n in _tracked_files() if Path(n).name == ".env" or Path(n).suffix == ".env"]
    assert not env_files, f".env files are tracked by git: {env_files}"


def _planted(kind: str) -> str:
    """A realistic-looking secret of each kind, built at run time."""
    alnum = "Q7w" * 20
    return {
        "ngrok": "2" + alnum[:26] + "_" + alnum[:30],
        "assignment": "SECRET_KEY = '" + alnum[:40] + "'",
        "json": '{"apikey": "' + alnum[:24] + '"}',
        "env": "NGROK_AUTH" + "TOKEN=" + "'" + alnum[:30] + "'",
        "private": DASHES + "BEGIN RSA PRIVATE KEY" + DASHES,
        "aws": "key = AKIA" + "ABCDEFGHIJKLMNOP",
    }[kind]


@pytest.mark.parametrize("kind", ["ngrok", "assignment", "json", "env", "private", "aws"])
def test_scanner_finds_planted_secrets(kind):
    assert scan_text("first line\n" + _planted(kind)) != []
    assert scan_text("first line\n" + _planted(kind))[0][0] == 2


@pytest.mark.parametrize(
    "line",
    [
        '"apikey": "EVO-FAKE-APIKEY-0000"',
        "WEBHOOK_API_TOKEN=troque-por-um-valor-longo",
        "TOKEN = 'meu-token-de-verificacao'",
        "password = 'dummy_password_for_ci'",
        '"base64": "aTVZbPjxAKIAQWERTYUIOPASDFGH9kRb/x+y"',  # inside base64 data
        'token = os.environ.get("NGROK_AUTHTOKEN", "")',
        "SECRET_KEY = short",
    ],
)
def test_scanner_allows_placeholders_and_code(line):
    assert scan_text(line) == []


def test_scanner_does_not_match_its_own_source():
    assert scan_text(Path(__file__).read_text(encoding="utf-8")) == []
