"""The database password never reaches the terminal: every URL the CLI prints has it blanked.

A password can sit in a database URL's user info (``postgresql://u:pw@host/db``) or in its
query (``?password=pw``, ``?sslpassword=pw``); either is fine in ``GRIDDESK_DATABASE_URL``,
never shown by ``check-config`` or ``doctor`` (a failure to connect included), and either is
refused in the config file, which names the key and never the value.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config.environment import blank_password, has_password, url_secrets
from bot.config.settings import DATABASE_VARIABLE
from bot.redact import redacting

GRIDDESK = Path(sys.executable).parent / "griddesk"
EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
SECRET = "Wq7-not-a-real-pw"
"""The password every URL here carries; it must appear in no output."""
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/griddesk"
"""Nothing listens on port 1: connecting fails at once."""


def _griddesk(*args: str, database: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command, with ``GRIDDESK_DATABASE_URL`` set to ``database`` or unset."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop(DATABASE_VARIABLE, None)
    if database is not None:
        env[DATABASE_VARIABLE] = database
    return subprocess.run(
        [str(GRIDDESK), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def _with_password(url: str, where: str) -> str:
    """``url`` (no password, no query) given :data:`SECRET` in the user info or the query."""
    if where == "userinfo":
        scheme, _, rest = url.partition("://")
        user, _, host = rest.partition("@")
        return f"{scheme}://{user}:{SECRET}@{host}"
    return f"{url}?{where}={SECRET}"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+asyncpg://u:pw@host/db", "postgresql+asyncpg://u:***@host/db"),
        ("postgresql://u@host/db?password=pw", "postgresql://u@host/db?password=***"),
        (
            "postgresql://host/db?sslpassword=pw&passfile=/etc/pgpass&sslmode=require",
            "postgresql://host/db?sslpassword=***&passfile=/etc/pgpass&sslmode=require",
        ),
        ("postgresql://u:p@ss@host:5432/db", "postgresql://u:***@host:5432/db"),
        ("postgresql://u:pa/ss@host/db", "postgresql://u:***@host/db"),
        ("postgresql//u:pw@host/db", "postgresql//u:***@host/db"),
        ("postgresql://u@host:5432/db", "postgresql://u@host:5432/db"),
        ("sqlite:////srv/griddesk.db", "sqlite:////srv/griddesk.db"),
    ],
)
def test_blank_password_hides_it_in_the_user_info_and_the_query(url: str, shown: str) -> None:
    """Both places are blanked, an unencoded password whole; ``passfile`` is not a secret."""
    assert blank_password(url) == shown
    assert has_password(url) is (shown != url)


@pytest.mark.parametrize("where", ["userinfo", "password", "sslpassword"])
def test_check_config_never_prints_the_database_password(where: str) -> None:
    """The org tree's database line shows the environment's URL with the password blanked."""
    url = _with_password("postgresql://griddesk@db.example:5432/griddesk", where)
    done = _griddesk("check-config", "--config", str(EXAMPLE), database=url)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert f"database: {blank_password(url)} " in done.stdout
    assert "***" in blank_password(url)


@pytest.mark.asyncio
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("where", ["userinfo", "password"])
async def test_doctor_never_prints_the_database_password(database_url: str, where: str) -> None:
    """doctor on a real PostgreSQL, password in either place: the report names the database
    blanked, and the password is nowhere (the server trusts, so any password connects)."""
    url = _with_password(database_url, where)
    done = await asyncio.to_thread(_griddesk, "doctor", "--config", str(EXAMPLE), database=url)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == f"database: {blank_password(url)}"
    assert "outbox pending: 0" in done.stdout


@pytest.mark.parametrize("where", ["userinfo", "password"])
def test_doctor_that_cannot_connect_names_the_database_blanked(where: str) -> None:
    """A connection failure is one line naming the URL, password blanked; no traceback."""
    url = _with_password(UNREACHABLE, where)
    done = _griddesk("doctor", "--config", str(EXAMPLE), database=url)
    assert done.returncode == 2
    assert SECRET not in done.stdout + done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"griddesk: database: cannot use {blank_password(url)}: ")


@pytest.mark.parametrize("where", ["userinfo", "password", "sslpassword"])
@pytest.mark.parametrize("environment", [None, "sqlite:///elsewhere.db"], ids=["file", "both"])
def test_config_file_with_a_database_password_is_refused(
    tmp_path: Path, where: str, environment: str | None
) -> None:
    """A password in database.url, in either place, is refused naming the key and the
    environment variable, never echoing it — also when the environment's URL replaces it."""
    url = _with_password("postgresql://griddesk@db.example:5432/griddesk", where)
    text = EXAMPLE.read_text("utf-8")
    assert 'url = "sqlite:///griddesk.db"' in text
    config = tmp_path / "griddesk.toml"
    config.write_text(text.replace('url = "sqlite:///griddesk.db"', f'url = "{url}"'), "utf-8")
    done = _griddesk("check-config", "--config", str(config), database=environment)
    assert done.returncode == 2
    assert SECRET not in done.stdout + done.stderr
    assert f"{config}: database.url: holds a password" in done.stderr
    assert f"environment variable {DATABASE_VARIABLE}" in done.stderr


def test_the_log_redactor_hides_a_query_password_too(caplog: pytest.LogCaptureFixture) -> None:
    """The running bot redacts every secret of its database URL from the log — a password in
    the query as much as one in the user info (a library error may echo the URL)."""
    url = "postgresql://griddesk:user-pw-1@db/griddesk?sslpassword=ssl-pw-2&password=q-pw-3"
    assert sorted(url_secrets(url)) == ["q-pw-3", "ssl-pw-2", "user-pw-1"]
    logger = logging.getLogger("tests.secrets")
    caplog.set_level(logging.INFO)
    with redacting(*url_secrets(url)):
        logger.info("could not connect to %s", url)
    line = caplog.records[-1].getMessage()
    assert all(secret not in line for secret in ("user-pw-1", "ssl-pw-2", "q-pw-3")), line
