"""The `griddesk` command as operators use it: classify, rules-check, rules-show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli.main import main
from nlp.rules import parse_rules
from tests.wechat_world import WECOM, on_wecom

GRIDDESK = Path(sys.executable).parent / "griddesk"
JSON_KEYS = ["category", "urgent", "confidence", "matched", "also", "ask"]
EXAMPLE = (Path(__file__).parent.parent / "config.example.toml").read_text("utf-8")

WECOM_ENVIRONMENT = {
    "GRIDDESK_WECOM_SECRET": WECOM.secret,
    "GRIDDESK_WECOM_TOKEN": WECOM.token,
    "GRIDDESK_WECOM_AES_KEY": WECOM.encoding_aes_key,
}


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GRIDDESK), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        check=False,
    )


def test_installed_command_classifies_arguments() -> None:
    """The console script prints one JSON object per argument with exactly the agreed keys."""
    done = _run(["classify", "3号楼又停水了", "煤气味很重"])
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [list(obj) for obj in lines] == [JSON_KEYS, JSON_KEYS]
    assert lines[0]["category"] == "water_supply"
    assert lines[0]["matched"] == ["停水"]
    assert lines[0]["urgent"] is False
    assert lines[0]["ask"] is False
    assert lines[1]["category"] == "gas"
    assert lines[1]["urgent"] is True
    assert isinstance(lines[0]["confidence"], float)
    assert 0 <= lines[0]["confidence"] <= 1
    assert "Building prefix dict" not in done.stderr  # jieba's chatter is silenced


def test_stdin_lines_one_object_each() -> None:
    """Without arguments every stdin line (empty ones included) gives one JSON line."""
    done = _run(["classify"], stdin="楼上天天半夜剁肉\n\n电梯困人了\r\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [obj["category"] for obj in lines] == ["noise", "other", "elevator"]
    assert lines[1]["ask"] is True
    assert lines[2]["urgent"] is True


def test_rules_check_text_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """rules-check prints per-category figures, accuracy, macro-F1 and the confusions."""
    csv_file = tmp_path / "set.csv"
    csv_file.write_text(
        "text,label\n3号楼停水了,water_supply\n下水道堵了,drainage\n楼上太吵了,drainage\n",
        "utf-8",
    )
    assert main(["rules-check", str(csv_file), "--errors", "5"]) == 0
    out = capsys.readouterr().out
    assert "water_supply (供水)" in out
    assert "accuracy 0.667" in out
    assert "macro-F1" in out
    assert "1  drainage → noise" in out
    assert "drainage → noise: 楼上太吵了" in out


def test_rules_check_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--json gives the same figures for scripts."""
    csv_file = tmp_path / "set.csv"
    csv_file.write_text("text,label\n3号楼停水了,water_supply\n楼上太吵了,drainage\n", "utf-8")
    assert main(["rules-check", "--json", str(csv_file)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == 2
    assert report["accuracy"] == 0.5
    assert report["per_category"]["water_supply"] == {
        "support": 1,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
    }
    assert report["confusions"] == [["drainage", "noise", 1]]


def test_rules_from_config_and_from_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An operator's rules file replaces the built-in one, via config or --rules."""
    rules = tmp_path / "mine.toml"
    rules.write_text('[categories.noise]\nkeywords = [{ weight = 3, words = ["停水"] }]\n', "utf-8")
    config = tmp_path / "griddesk.toml"
    config.write_text('[classifier]\nrules_file = "mine.toml"\n', "utf-8")
    assert main(["classify", "--config", str(config), "停水了"]) == 0
    assert json.loads(capsys.readouterr().out)["category"] == "noise"
    assert main(["classify", "--rules", str(rules), "停水了"]) == 0
    assert json.loads(capsys.readouterr().out)["category"] == "noise"


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        (
            {"bad.toml": '[categories.gas]\nkeywords = [{ weight = "x", words = ["a"] }]'},
            ["classify", "--rules", "bad.toml", "x"],
            "bad.toml: categories.gas.keywords[0].weight: must be a number",
        ),
        (
            {"c.toml": "[classifier]\nask_below = 7"},
            ["classify", "--config", "c.toml", "x"],
            "c.toml: classifier.ask_below: must be a number from 0 to 1",
        ),
        (
            {"c.toml": "[clasifier]\n"},
            ["classify", "--config", "c.toml", "x"],
            "c.toml: clasifier: unknown key",
        ),
        (
            {"set.csv": "text,category\n停水,water_supply\n"},
            ["rules-check", "set.csv"],
            "set.csv: the first line must name the columns text,label",
        ),
        (
            {"set.csv": "text,label\n停水,water_supply\n停电,electricity\n"},
            ["rules-check", "set.csv"],
            "set.csv:3: unknown label 'electricity'",
        ),
        ({"set.csv": "text,label\n"}, ["rules-check", "set.csv"], "set.csv: no labelled messages"),
        ({}, ["rules-check", "missing.csv"], "missing.csv: cannot read"),
        (
            {"c.toml": EXAMPLE},
            ["doctor", "--config", "c.toml", "--since", "last week"],
            "--since: 'last week' is not a day like 2026-11-16",
        ),
    ],
)
def test_operator_mistakes_exit_2_with_the_key(
    files: dict[str, str],
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bad rules, config or CSV: exit status 2 and one line naming what is wrong."""
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_rules_show_prints_the_shipped_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """rules-show output is a valid rules file: the operator's starting point."""
    assert main(["rules-show"]) == 0
    rules = parse_rules(capsys.readouterr().out)
    assert rules.scoring.ask_below > 0


def test_check_config_prints_the_tree_and_ok(capsys: pytest.CaptureFixture[str]) -> None:
    """check-config on the example prints the org tree and OK, exit 0."""
    example = Path(__file__).parent.parent / "config.example.toml"
    assert main(["check-config", "--config", str(example)]) == 0
    out = capsys.readouterr().out
    assert "大学西路街道  [street daxuexilu" in out
    assert out.rstrip().endswith(f"{example}: OK")


def test_check_config_says_whether_each_channels_secrets_are_here(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram off, WeChat and WeCom set up: one line each, naming a missing secret's variable
    (never a value), still exit 0 — the file is right; this machine is not ready yet."""
    config = tmp_path / "wecom.toml"
    text = on_wecom(EXAMPLE).replace('mode = "polling"', 'mode = "off"', 1)
    config.write_text(text + '\n[wechat]\napp_id = "wx5eed0000c0ffee01"\n', "utf-8")
    for variable, value in WECOM_ENVIRONMENT.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("GRIDDESK_WECHAT_APP_SECRET", raising=False)
    monkeypatch.setenv("GRIDDESK_WECHAT_TOKEN", "griddeskToken")
    assert main(["check-config", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Telegram" not in out
    assert "WeChat wx5eed0000c0ffee01 at /wechat: not ready here: GRIDDESK_WECHAT_APP_SECRET: " \
        "missing" in out  # fmt: skip
    assert "WeCom wwstandin0000001 app 1000002 at /wecom: its secrets are set" in out
    assert "griddeskToken" not in out


def test_check_config_names_the_bad_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A worker in an unknown grid: exit 2 and the key, nothing printed on stdout."""
    example = Path(__file__).parent.parent / "config.example.toml"
    bad = tmp_path / "bad.toml"
    bad.write_text(example.read_text("utf-8").replace('units = ["xingan-2"]', 'units = ["x"]'))
    assert main(["check-config", "--config", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "people[2].units[0]: unknown grid 'x'" in captured.err
    assert captured.out == ""


def test_check_config_reports_every_mistake(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Mistakes in two sections: exit 2, one line each on stderr, both with their key."""
    bad = tmp_path / "bad.toml"
    text = EXAMPLE.replace('units = ["xingan-2"]', 'units = ["xingan-3"]')
    bad.write_text(text.replace('claim = "2h"', 'claim = "2 hours"'), "utf-8")
    assert main(["check-config", "--config", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f'griddesk: {bad}: deadlines.claim: \'2 hours\' is not a duration like "15m", "2h" or "3d"',
        f"griddesk: {bad}: people[2].units[0]: unknown grid 'xingan-3' (did you mean 'xingan-2'?)",
    ]
    assert captured.out == ""


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("classify", "JSON"),
        ("rules-check", "precision"),
        ("rules-show", "rules"),
        ("check-config", "organisation"),
        ("run", "GRIDDESK_TELEGRAM_TOKEN"),
        ("shell", "stand-in"),
        ("stats", "按期答复率"),
        ("doctor", "outbox"),
        ("claims", "--release"),
        ("migrate", "transaction"),
        ("corrections", "改类别"),
        ("rules-suggest", "precision"),
    ],
)
def test_every_subcommand_help_says_what_it_does(
    command: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`griddesk COMMAND --help` has a description between the usage and the options."""
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert not description.startswith(("options:", "positional arguments:")), out
    assert says in out


def test_run_help_names_the_environment_variables(capsys: pytest.CaptureFixture[str]) -> None:
    """The token and a database URL with a password come from the environment; --help says so."""
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "GRIDDESK_TELEGRAM_TOKEN" in out
    assert "GRIDDESK_DATABASE_URL" in out


def test_version_names_the_installed_package() -> None:
    """`griddesk --version` prints the version pip installed, exit 0."""
    done = _run(["--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"griddesk {version('griddesk')}\n"
