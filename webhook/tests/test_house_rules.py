"""House rules a new engineer can rely on, checked over the project's own source files.

1. Settings come from one place: ``django_project/settings.py`` is the only module that reads
   the environment; everything else reads ``settings`` (``webhook.conf`` for ``WEBHOOK_*``).
2. No module is over 400 lines, 3. no function over 60 (migrations and tests aside).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", ".git", "__pycache__", "node_modules", ".ruff_cache", ".pytest_cache"}
SETTINGS = "django_project/settings.py"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# Reads of the environment allowed outside settings.py: (file, variable). The variable is the
# name read, or the expression's source when the name is not a literal. "*": in any file.
ALLOWED_READS = {
    # Which settings module to load: a default set before Django starts, not a setting.
    ("*", "DJANGO_SETTINGS_MODULE"),
    # Process plumbing: private variables a parent process writes for the workers it starts.
    ("webhook/receiver/serving.py", "_WEBHOOK_THREADS"),
    ("webhook/receiver/serving.py", "name"),  # the values of TUNNEL_VARIABLES: _WEBHOOK_TUNNEL_*
    ("webhook/management/commands/webhook_serve.py", "_WEBHOOK_SERVE_THREADS"),
    # The Flask receiver's default (background), written before Django reads the settings.
    ("webhook/receiver/cli.py", "WEBHOOK_APPLY_MODE"),
    # The standalone scripts' one source: setup_webhook.py writes the .env before settings.py
    # loads it, and test_webhook.py is a client that runs without Django.
    ("webhook/script_env.py", "WEBHOOK_ENV_FILE"),
    ("webhook/script_env.py", "name"),  # script_setting(): WEBHOOK_CLIENT_TOKEN, _API_TOKEN
    # The bench's own knob (not a project setting), read in the bench's one place for it.
    ("bench/config.py", "BENCH_PG_ADMIN_URL"),
}
READING_METHODS = {"get", "setdefault", "pop"}


def project_files(*, skip: tuple[str, ...] = ()) -> list[Path]:
    """The project's .py files (no virtualenv, no caches), minus the folders named in ``skip``."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and d not in skip)
        found += [Path(folder, name) for name in sorted(files) if name.endswith(".py")]
    return found


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


class EnvironmentReads(ast.NodeVisitor):
    """Every read of one environment variable: os.environ.get/[...]/setdefault/pop, ``in``
    os.environ, os.getenv (also imported from os). Writes, and copies of the whole environment
    handed to a child process, are not reads."""

    def __init__(self, constants: dict[str, str]) -> None:
        self.constants = constants
        self.os_names: set[str] = set()  # ``import os`` (as ...)
        self.environ_names: set[str] = set()  # ``from os import environ`` (as ...)
        self.getenv_names: set[str] = set()
        self.reads: list[tuple[int, str]] = []

    def _is_environ(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute):
            return node.attr == "environ" and self._is_os(node.value)
        return isinstance(node, ast.Name) and node.id in self.environ_names

    def _is_os(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id in self.os_names

    def _read(self, node: ast.AST, key: ast.AST | None) -> None:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            name = key.value
        elif isinstance(key, ast.Name) and key.id in self.constants:
            name = self.constants[key.id]
        else:
            name = ast.unparse(key) if key is not None else "?"
        self.reads.append((node.lineno, name))

    def visit_Import(self, node: ast.Import) -> None:
        self.os_names |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "os":
            for alias in node.names:
                if alias.name == "environ":
                    self.environ_names.add(alias.asname or alias.name)
                if alias.name == "getenv":
                    self.getenv_names.add(alias.asname or alias.name)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        key = node.args[0] if node.args else None
        if isinstance(func, ast.Attribute):
            if func.attr in READING_METHODS and self._is_environ(func.value):
                self._read(node, key)
            elif func.attr == "getenv" and self._is_os(func.value):
                self._read(node, key)
        elif isinstance(func, ast.Name) and func.id in self.getenv_names:
            self._read(node, key)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load) and self._is_environ(node.value):
            self._read(node, node.slice)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn) and self._is_environ(right):
                self._read(node, node.left)
        self.generic_visit(node)


def module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "string"`` assignments (to name what ``os.environ[NAME]`` reads)."""
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    constants[target.id] = node.value.value
    return constants


def environment_reads() -> list[tuple[str, int, str]]:
    """(file, line, variable) of every read outside settings.py and the tests."""
    reads = []
    for path in project_files(skip=("tests",)):
        if relative(path) == SETTINGS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        visitor = EnvironmentReads(module_constants(tree))
        visitor.visit(tree)
        reads += [(relative(path), line, name) for line, name in visitor.reads]
    return reads


def test_only_settings_reads_the_environment():
    """Every setting (WEBHOOK_*, DATABASE_URL, NGROK_AUTHTOKEN, DJANGO_*...) is read in
    settings.py and reaches the code as a Django setting (WEBHOOK_*: through webhook.conf)."""
    reads = environment_reads()
    offenders = [
        f"{path}:{line}: {name}"
        for path, line, name in reads
        if (path, name) not in ALLOWED_READS and ("*", name) not in ALLOWED_READS
    ]
    assert offenders == [], "read it in django_project/settings.py instead:\n" + "\n".join(
        offenders
    )
    used = {(path, name) for path, _, name in reads}
    unused = {entry for entry in ALLOWED_READS if entry[0] != "*"} - used
    assert unused == set(), f"allowlist entries nothing needs any more: {sorted(unused)}"


def test_the_checker_sees_every_kind_of_read():
    source = (
        "import os\nfrom os import environ as env, getenv\nVAR = 'WEBHOOK_X'\n"
        "environ = {}\nenviron.get('NOT_OS')\n"
        "os.environ.get('A')\nos.environ['B']\nos.getenv('C')\nenv.setdefault('D', '')\n"
        "getenv('E')\nos.environ[VAR]\n'F' in os.environ\nos.environ.pop('G', None)\n"
        "os.environ['W'] = '1'\nos.environ.update(W='2')\ndict(os.environ, W='3')\n"
    )
    tree = ast.parse(source)
    visitor = EnvironmentReads(module_constants(tree))
    visitor.visit(tree)
    assert [name for _, name in visitor.reads] == ["A", "B", "C", "D", "E", "WEBHOOK_X", "F", "G"]


def _source_files() -> list[Path]:
    return project_files(skip=("tests", "migrations"))


def test_no_module_is_over_400_lines():
    long = []
    for path in _source_files():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            long.append(f"{relative(path)}: {lines} lines")
    assert long == [], f"split by job (at most {MAX_MODULE_LINES} lines):\n" + "\n".join(long)


def test_no_function_is_over_60_lines():
    long = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{relative(path)}:{node.lineno}: {node.name}() {lines} lines")
    assert long == [], f"at most {MAX_FUNCTION_LINES} lines a function:\n" + "\n".join(long)


def test_webhook_conf_falls_back_to_the_defaults_of_settings_py(settings):
    """webhook.conf's fallback for a WEBHOOK_* value missing from settings is settings.py's own
    default (read in a process with none of them in the environment): the two never disagree."""
    import json
    import subprocess
    import sys

    from webhook.conf import WebhookSettings, webhook_settings

    names = sorted(n for n, v in vars(WebhookSettings).items() if isinstance(v, property))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "DJANGO_"))}
    clean |= {"DJANGO_SETTINGS_MODULE": "django_project.settings"}
    clean |= {"WEBHOOK_ENV_FILE": os.devnull}
    code = (
        "import json; from webhook.conf import webhook_settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    defaults = json.loads(out.stdout.strip().splitlines()[-1])
    settings.DEBUG = False  # settings.py's default, which FALLBACK_CLIENT follows
    for name in names:
        if hasattr(settings, f"WEBHOOK_{name}"):
            delattr(settings, f"WEBHOOK_{name}")
    fallbacks = {name: getattr(webhook_settings, name) for name in names}
    assert fallbacks == defaults


def test_no_bench_script_shadows_a_standard_module():
    """`make bench` runs bench/*.py as scripts, which puts bench/ first on sys.path: a
    bench/queue.py once hid the standard library's queue from psycopg."""
    import sys

    names = {path.stem for path in (ROOT / "bench").glob("*.py")}
    assert not names & set(sys.stdlib_module_names)
