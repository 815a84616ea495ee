import json

from click.testing import CliRunner
from conftest import SEEDS

from cleanseed.cli import main


def test_every_command_has_help():
    runner = CliRunner()
    for args in ([], ["clean"]):
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
    assert "Examples" in runner.invoke(main, ["clean", "--help"]).output


def test_seeds_give_two_lines_in_contract_order():
    result = CliRunner().invoke(main, ["clean", *map(str, SEEDS)])
    assert result.exit_code == 0
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(lines) == 2
    assert list(lines[0])[:8] == ["id", "source", "text", "title", "author", "date", "url", "removed"]
    assert "removed passages" in result.stderr


def test_usage_error_exits_2():
    assert CliRunner().invoke(main, ["clean", "--threshold", "7"]).exit_code == 2
    assert CliRunner().invoke(main, ["clean", "--no-such-flag"]).exit_code == 2


def test_no_dedup_and_mark():
    marked = CliRunner().invoke(main, ["clean", "--mark", *map(str, SEEDS)]).stdout.splitlines()
    second = json.loads(marked[1])
    assert second["duplicates"] and not [r for r in second["removed"] if r["reason"] == "duplicate"]
    plain = CliRunner().invoke(main, ["clean", "--no-dedup", *map(str, SEEDS)]).stdout.splitlines()
    assert not [r for r in json.loads(plain[1])["removed"] if r["reason"] == "duplicate"]


def test_bad_config_is_one_line_exit_1(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[dedup]\nbands = 7\n")
    result = CliRunner().invoke(main, ["clean", "--config", str(cfg), str(SEEDS[0])])
    assert result.exit_code == 1 and "multiple of bands" in result.stderr
