"""The configuration files as pydantic models: every mistake `run` or `schedule` would trip over is
found when the file is read, and reported as `file:line: what` (in-process, click's CliRunner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.config import ConfigError, Settings, SourceConfig, Subscriber, parse_settings, parse_sources
from notifier.matching import wants

GOOD_SOURCE = '- name: a\n  start_urls: ["http://x.gov.cn/"]\n'


def pw(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_sources(text, "s.yaml")
    return caught.value.problems


def test_a_single_string_where_a_list_is_meant_is_one_value_never_its_characters() -> None:
    settings = parse_settings(
        '[[subscribers]]\nname = "hd"\nurls = ["json://127.0.0.1:9/"]\nregions = "海淀"\nkeywords = "补贴"\n'
    )
    sub = settings.subscribers[0]
    assert sub.regions == ("海淀",) and sub.keywords == ("补贴",)
    # Before: ("海", "淀") — a 上海 policy mentioning 贴 reached the 海淀 subscriber.
    assert not wants(sub, "text_changed", "medium", "上海市", "sh", "贴息")
    assert wants(sub, "text_changed", "medium", "北京市海淀区", "hd", "企业补贴")
    assert parse_sources('- name: a\n  start_urls: "http://x.gov.cn/"\n  allow: "/zc/"\n')[0].allow == ("/zc/",)


def test_several_values_in_one_string_are_refused_with_their_line() -> None:
    text = '[[subscribers]]\nname = "hd"\nurls = ["json://127.0.0.1:9/"]\n\nregions = "海淀,朝阳"\n'
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "pw.toml")
    assert caught.value.problems[0].startswith("pw.toml:5: ") and "write a list" in str(caught.value)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("schedule: every night", "schedule 'every night': expected 5 crontab fields"),
        ("schedule: '0 25 * * *'", "schedule '0 25 * * *'"),
        ("download_delay: slow", "'download_delay' must be a number (of seconds), not 'slow'"),
        ("download_delay: -1", "'download_delay' must be zero or more"),
        ("max_list_pages: lots", "'max_list_pages' must be a whole number, not 'lots'"),
        ("max_list_pages: true", "'max_list_pages' must be a whole number, not True"),
        ("concurrency: 0", "'concurrency' must be a positive whole number, not 0"),
        ("download_delay: true", "'download_delay' must be a number (of seconds), not True"),
        ("allow: ['(unclosed']", "bad regex '(unclosed'"),
        ("colour: red", "unknown key 'colour'"),
        ("selectors: {titel: h1}", "unknown key 'titel'"),
    ],
)
def test_every_mistake_in_a_source_is_named_on_its_line(line: str, says: str) -> None:
    problems = _problems(f"# sources\n{GOOD_SOURCE}  region: 北京\n  {line}\n")
    assert problems == [f"s.yaml:5: source 'a': {says}" + problems[0].split(says, 1)[1]], problems


def test_source_lines_under_a_sources_key_and_for_missing_keys() -> None:
    problems = _problems(
        "sources:\n  - name: a\n    start_urls:\n      - http://x.gov.cn/\n      - ftp://x.gov.cn/\n  - region: 北京\n"
    )
    assert problems[0] == "s.yaml:5: source 'a': 'ftp://x.gov.cn/' is not an http(s) URL"
    assert problems[1:] == ["s.yaml:6: 'name' is required", "s.yaml:6: 'start_urls' is required"]
    with pytest.raises(ConfigError, match=r"s.yaml:3: duplicate source name 'a'"):
        parse_sources(GOOD_SOURCE * 2, "s.yaml")
    with pytest.raises(ConfigError, match="needs at least one value"):
        parse_sources("- name: a\n  start_urls: []\n")


def test_settings_mistakes_each_on_their_line() -> None:
    text = (
        "[alerts]\nmax_tries = true\ntimeout = 0\n\n[report]\nbase_url = 'reports here'\n\n[nosuch]\nx = 1\n"
        '\n[[subscribers]]\nname = "a"\nurls = ["json://x"]\n\n[[subscribers]]\nname = "a"\nurls = "json://y"\n'
        'min_importance = "urgent"\npaused = 1\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "pw.toml")
    assert sorted(caught.value.problems) == sorted(
        [
            "pw.toml:2: [alerts] 'max_tries' must be a whole number, not True",
            "pw.toml:3: [alerts] 'timeout' must be a positive whole number, not 0",
            "pw.toml:6: [report] 'reports here' is not an http(s):// or file:// URL",
            "pw.toml:8: unknown section [nosuch]; known: database, report, crawl, alerts, web, subscribers",
            "pw.toml:18: [[subscribers]] #2: 'min_importance' must be one of 'low', 'medium' or 'high', not 'urgent'",
            "pw.toml:19: [[subscribers]] #2: 'paused' must be true or false, not 1",
        ]
    )
    twice = '[[subscribers]]\nname = "a"\nurls = ["json://x"]\n\n[[subscribers]]\nname = "a"\nurls = "json://y"\n'
    with pytest.raises(ConfigError, match=r"pw.toml:6: duplicate subscriber name 'a'"):
        parse_settings(twice, "pw.toml")


def test_models_built_in_code_are_checked_too() -> None:
    assert Subscriber("ops", ("json://127.0.0.1:9/",)).events[0] == "new_policy"
    with pytest.raises(ValueError, match="not a URL"):
        Subscriber("ops", ("127.0.0.1:9",))
    with pytest.raises(ValueError):
        SourceConfig(name="a", start_urls=("http://x.gov.cn/",), max_list_pages=True)
    assert Settings().alert_max_tries == 5 and Settings(subscribers=()).subscribers == ()


def test_config_check_finds_what_run_and_schedule_would_fail_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "sources.yaml").write_text(
        GOOD_SOURCE + "  schedule: every night\n  download_delay: slow\n  max_list_pages: lots\n", encoding="utf-8"
    )
    (tmp_path / "policywatch.toml").write_text(
        '[[subscribers]]\nname = "a"\nurls = ["nosuchscheme://user:hunter2secret@x/"]\n', encoding="utf-8"
    )
    done = pw("config", "check")  # the sources file `run` reads is checked without --sources
    assert done.exit_code == 2, done.output
    lines = done.stderr.splitlines()
    for where, what in ((3, "every night"), (4, "download_delay"), (5, "max_list_pages")):
        assert any(f"seeds/sources.yaml:{where}: source 'a': " in line and what in line for line in lines), lines
    assert "policywatch.toml:3: subscriber 'a' (nosuchscheme://" in done.stderr and "hunter2secret" not in done.output
    assert "Traceback" not in done.output and "configuration OK" not in done.output


def test_run_names_the_mistake_instead_of_a_traceback(tmp_path: Path) -> None:
    sources = tmp_path / "s.yaml"
    sources.write_text(GOOD_SOURCE + "  max_list_pages: lots\n", encoding="utf-8")
    done = pw("run", "--sources", str(sources), "--db", str(tmp_path / "pw.db"), "--dry-run")
    assert done.exit_code == 2 and f"{sources}:3: source 'a': 'max_list_pages' must be a whole number" in done.stderr


def test_reading_commands_use_the_database_and_report_dir_of_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.store.db import Database, resolve_database_url
    from tests.test_report import _hostile_page, _ingest

    db_file = tmp_path / "data" / "watch.db"
    db_file.parent.mkdir()
    db = Database(resolve_database_url(str(db_file)))
    db.upgrade()
    _ingest(db, _hostile_page(""))
    _ingest(db, _hostile_page("新增的一句"))
    config = tmp_path / "pw.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db_file}"\n\n[report]\ndir = "{tmp_path / "site"}"\n')
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # before: `report` and `diff` opened ./policywatch.db, and took no --config
    readings = (["report"], ["diff", "1"], ["events", "--json"], ["policies", "--json"], ["history", "1", "--json"])
    for args in (*readings, ["export"], ["alerts", "list", "--json"]):
        done = pw(*args, "--config", str(config))
        assert done.exit_code == 0, (args, done.output)
    assert (tmp_path / "site" / "index.html").is_file() and not (work / "report").exists()
    assert "新增的一句" in pw("diff", "1", "--config", str(config)).stdout
    assert '"text_changed"' in pw("events", "--json", "--config", str(config)).stdout
    (work / "policywatch.toml").write_text(config.read_text())  # found in the working directory
    assert "新增的一句" in pw("diff", "1").stdout and not (work / "policywatch.db").exists()


def test_the_shipped_example_config_and_catalogue_pass_config_check(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parent.parent
    for var in ("SMTP_USER", "SMTP_PASSWORD", "WECOM_ROBOT_KEY", "OPS_ROBOT_KEY"):
        monkeypatch.setenv(var, "placeholder0123456789")
    done = pw(
        "config",
        "check",
        "--config",
        str(root / "policywatch.example.toml"),
        "--sources",
        str(root / "seeds" / "sources.yaml"),
    )
    assert done.exit_code == 0 and "configuration OK" in done.stdout, done.output
