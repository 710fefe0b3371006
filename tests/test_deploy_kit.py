"""The deployment kit in deploy/ holds together, checked without Docker.

No Docker daemon runs where the tests run, so the image is never built here: these tests read
the files and hold each to what griddesk itself says — the port the config listens on, the
secrets the code reads, how long its polite stop takes, the dependencies pyproject.toml names.
compose.yaml is read by :func:`read_compose`, a reader of the plain YAML it is written in (no
PyYAML for one file), which refuses anything else rather than misread it.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.config.settings import DATABASE_VARIABLE, TOKEN_VARIABLE, load_settings
from handlers.http.server import _SHUTDOWN_WAIT
from handlers.telegram.runtime import _RELEASE_WAIT, _STOP_WAIT

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text("utf-8")
UNIT = (DEPLOY / "griddesk.service").read_text("utf-8")
ENV_EXAMPLE = (DEPLOY / "griddesk.env.example").read_text("utf-8")
LOCK = (DEPLOY / "requirements.lock").read_text("utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
CONFIG_IN_CONTAINER = "/etc/griddesk/config.toml"
_SECRET_NAME = re.compile(r"GRIDDESK_[A-Z0-9_]+")
POLITE_STOP = _STOP_WAIT + _RELEASE_WAIT + _SHUTDOWN_WAIT
"""Seconds griddesk may take to stop after SIGTERM: the inbox and outbox finish their work in
hand, the outbox lease is handed over, the HTTP server lets requests in hand finish."""


def read_compose(text: str) -> dict[str, Any]:
    """Block mappings and lists of scalars, quoted strings and JSON-style flow lists: the YAML
    compose.yaml uses. Anything else raises ``ValueError`` naming the line."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, Any]] = [(-1, root)]
    for number, line in enumerate(text.splitlines(), 1):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if isinstance(parent, tuple):  # a key without a value: its first child says what it is
            holder, key = parent
            parent = holder[key] = [] if content.startswith("- ") else {}
            stack[-1] = (stack[-1][0], parent)
        if content.startswith("- ") and isinstance(parent, list):
            parent.append(_scalar(content[2:], number))
            continue
        key, colon, value = content.partition(":")
        if not colon or not isinstance(parent, dict) or not re.fullmatch(r"[\w.-]+", key):
            raise ValueError(f"compose.yaml:{number}: not the YAML this reader knows: {line!r}")
        if value.strip():
            parent[key] = _scalar(value.strip(), number)
        else:
            parent[key] = None
            stack.append((indent, (parent, key)))
    return root


def _scalar(text: str, number: int) -> Any:
    if text.startswith(("[", '"')):
        return json.loads(text)
    if text[0] in "{'&*!|>" or " #" in text:
        raise ValueError(f"compose.yaml:{number}: not the YAML this reader knows: {text!r}")
    return text


COMPOSE = read_compose((DEPLOY / "compose.yaml").read_text("utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]


def _seconds(span: str) -> float:
    """A duration as compose and systemd write it: ``45s``, ``1m30s``, ``2min``, ``45``."""
    units = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span)
    assert parts, span
    return sum(float(amount) * units[unit] for amount, unit in parts)


def _dockerignore() -> list[str]:
    """The build context's patterns, in order (BuildKit reads deploy/Dockerfile.dockerignore)."""
    text = (DEPLOY / "Dockerfile.dockerignore").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _unit_settings(section: str) -> dict[str, list[str]]:
    """The unit file's ``Key=value`` lines of ``[section]`` (a key may repeat)."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in UNIT.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _env_example() -> dict[str, str]:
    """The variables the example sets (not those commented out)."""
    return dict(
        line.split("=", 1) for line in ENV_EXAMPLE.splitlines() if re.match(r"[A-Z_]+=", line)
    )


def _secret_variables() -> set[str]:
    """Every ``GRIDDESK_…`` environment variable the code names: the secrets it reads."""
    names: set[str] = set()
    for package in ("bot", "handlers", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
            names |= {s for s in strings if isinstance(s, str) and _SECRET_NAME.fullmatch(s)}
    return names


def _locked() -> dict[str, tuple[str, list[str]]]:
    """The lock's packages: canonical name → (version, its sha256 hashes)."""
    packages: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", LOCK):
        pinned = re.match(r"([A-Za-z0-9_.-]+)==(\S+) \\", block)
        if pinned:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
            packages[canonicalize_name(pinned[1])] = (pinned[2], hashes)
    return packages


def test_the_compose_reader_reads_and_refuses() -> None:
    """The reader gets nesting, lists and flow lists right, and refuses YAML it does not know,
    so the checks below read what compose would."""
    text = "a:\n  b: x\n  c:\n    - '1'\n"
    with pytest.raises(ValueError, match=r"compose\.yaml:4"):
        read_compose(text)
    assert read_compose('a:\n  b: x\n  c:\n    - "1"\n  d: ["p", "q"]\ne: y\n') == {
        "a": {"b": "x", "c": ["1"], "d": ["p", "q"]},
        "e": "y",
    }


def test_compose_runs_griddesk_built_here_after_a_healthy_postgresql() -> None:
    """Two services; griddesk is built from deploy/Dockerfile with the repository as context,
    and starts once PostgreSQL answers; its config is the mounted deploy/config.toml."""
    assert set(SERVICES) == {"postgres", "griddesk"}
    griddesk = SERVICES["griddesk"]
    assert griddesk["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert griddesk["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"]
    assert f"./config.toml:{CONFIG_IN_CONTAINER}:ro" in griddesk["volumes"]
    assert SERVICES["postgres"]["image"].startswith("postgres:15")
    assert "postgresql-client-15" in DOCKERFILE  # pg_dump of the server's major version


def test_the_health_check_asks_readyz_where_griddesk_listens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """deploy/config.toml listens on every interface of the container, on the port the health
    check asks /readyz on and compose publishes on the host's loopback only; its database is
    the compose service's."""
    monkeypatch.delenv(DATABASE_VARIABLE, raising=False)
    settings = load_settings(DEPLOY / "config.toml")
    assert settings.org is not None
    assert settings.http.listen is not None
    host, port = settings.http.listen
    assert host == "0.0.0.0"
    griddesk = SERVICES["griddesk"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(griddesk["healthcheck"]["test"])
    assert griddesk["ports"] == [f"127.0.0.1:{port}:{port}"]
    url = urlsplit(settings.database_url)
    postgres = SERVICES["postgres"]["environment"]
    assert (url.hostname, url.username) == ("postgres", postgres["POSTGRES_USER"])
    assert url.path == f"/{postgres['POSTGRES_DB']}"


def test_secrets_come_from_the_env_file_and_stay_out_of_git_and_the_image() -> None:
    """Both services read griddesk.env; no secret is written in compose.yaml; the env file is
    ignored by git and left out of the image's build context."""
    for service in SERVICES.values():
        assert service["env_file"] == "griddesk.env"
        for name in service.get("environment", {}):
            assert not re.search("PASSWORD|TOKEN|SECRET|KEY|GRIDDESK_", name), name
    assert "griddesk.env" in (DEPLOY / ".gitignore").read_text("utf-8").split()
    allowed = _dockerignore()
    assert allowed[0] == "*"  # everything out, then what the image is built from back in
    assert all(
        entry.startswith("!") or "__pycache__" in entry or ".pyc" in entry for entry in allowed[1:]
    )
    assert not [entry for entry in allowed if "env" in entry or "backups" in entry]


def test_every_secret_griddesk_reads_is_in_the_env_example() -> None:
    """An operator finds a line for each secret the code reads from the environment."""
    secrets = _secret_variables()
    assert {TOKEN_VARIABLE, DATABASE_VARIABLE} <= secrets  # the scan finds them
    missing = [
        name for name in sorted(secrets) if not re.search(rf"^#? ?{name}=", ENV_EXAMPLE, re.M)
    ]
    assert not missing


def test_the_env_example_s_database_url_is_the_compose_postgresql_s() -> None:
    """The URL griddesk connects with carries the password PostgreSQL is created with, for the
    user and database compose creates, at the compose service."""
    env = _env_example()
    url = urlsplit(env[DATABASE_VARIABLE])
    postgres = SERVICES["postgres"]["environment"]
    assert url.password == env["POSTGRES_PASSWORD"]
    assert (url.hostname, url.username) == ("postgres", postgres["POSTGRES_USER"])
    assert url.path == f"/{postgres['POSTGRES_DB']}"


def test_stopping_waits_longer_than_griddesk_s_polite_stop() -> None:
    """docker compose stop and systemctl stop send SIGTERM, then SIGKILL once their wait is
    over: both waits outlast griddesk's own."""
    assert _seconds(SERVICES["griddesk"]["stop_grace_period"]) > POLITE_STOP
    (timeout,) = _unit_settings("Service")["TimeoutStopSec"]
    assert _seconds(timeout) > POLITE_STOP
    assert "STOPSIGNAL SIGTERM" in DOCKERFILE
    assert _unit_settings("Service")["KillSignal"] == ["SIGTERM"]


def test_the_systemd_unit_restarts_griddesk_on_failure_as_its_own_user() -> None:
    """Restart=on-failure; secrets from an EnvironmentFile; not root; griddesk run."""
    service = _unit_settings("Service")
    assert service["Restart"] == ["on-failure"]
    assert service["User"] not in (["root"], ["0"])
    assert service["EnvironmentFile"] == ["/etc/griddesk/griddesk.env"]
    (start,) = service["ExecStart"]
    assert start.endswith("/griddesk run --config /etc/griddesk/config.toml")
    assert _unit_settings("Install")["WantedBy"] == ["multi-user.target"]


def test_the_image_installs_only_the_lock_with_hashes_and_runs_unprivileged() -> None:
    """Dependencies from the lock with --require-hashes, griddesk itself with --no-deps; every
    package of the wheel is copied in; the last stage runs as a user other than root, with
    the config compose mounts."""
    lines = DOCKERFILE.replace("\\\n", " ").splitlines()
    runs = " ".join(" ".join(line.split()) for line in lines if line.startswith("RUN "))
    assert "COPY deploy/requirements.lock /tmp/requirements.lock" in DOCKERFILE
    assert "pip install --require-hashes --no-build-isolation -r /tmp/requirements.lock" in runs
    assert re.search(r"pip install --no-deps --no-build-isolation /src\b", runs)
    packages = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    allowed = _dockerignore()
    for top in {name.split(".")[0] for name in packages}:
        assert f"COPY {top} /src/{top}" in DOCKERFILE
        assert f"!{top}" in allowed
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert f'CMD ["run", "--config", "{CONFIG_IN_CONTAINER}"]' in DOCKERFILE


@pytest.mark.skipif(shutil.which("sed") is None, reason="needs sed, as the image's build does")
def test_the_image_s_first_install_takes_setuptools_alone_from_the_lock() -> None:
    """The Dockerfile's sed picks setuptools, with every hash, and nothing else, out of the
    lock: the builder it installs before anything is built."""
    (script,) = re.findall(r"sed -n '([^']+)' /tmp/requirements.lock", DOCKERFILE)
    picked = subprocess.run(
        ["sed", "-n", script], input=LOCK, capture_output=True, text=True, check=True
    ).stdout
    assert re.findall(r"^(\S+)==", picked, re.M) == ["setuptools"]
    assert re.findall(r"sha256:(\w+)", picked) == _locked()["setuptools"][1]


def test_the_lock_pins_every_package_with_its_hashes() -> None:
    """Each package pinned with == and sha256 hashes; nothing unpinned slips in."""
    locked = _locked()
    assert len(locked) > 20
    assert all(hashes for _, hashes in locked.values())
    requirement_lines = [
        line for line in LOCK.splitlines() if line and not line.startswith((" ", "#"))
    ]
    assert len(requirement_lines) == len(locked)


def test_the_lock_satisfies_pyproject_toml() -> None:
    """Every dependency pyproject.toml names (and the build's setuptools) is locked at a
    version it allows, and every package the lock says is needed is locked too: run
    scripts/lock when this fails."""
    locked = _locked()
    wanted = [*PYPROJECT["project"]["dependencies"], *PYPROJECT["build-system"]["requires"]]
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name}: not in deploy/requirements.lock"
        assert requirement.specifier.contains(locked[name][0]), f"{name}=={locked[name][0]}"
    needers = re.findall(r"^\s+#\s+(?:via\s+)?([A-Za-z0-9_.-]+)$", LOCK, re.M)
    assert needers
    assert {canonicalize_name(name) for name in needers} - {"via", "griddesk"} <= set(locked)
