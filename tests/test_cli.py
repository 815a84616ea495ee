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


def test_whole_document_duplicates_named_and_droppable(tmp_path):
    body = "A wire story paragraph that several sites republish word for word, about the harbour."
    other = "Another paragraph of the same story, long enough to be judged on its own merits."
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": i, "text": f"Headline\n\n{body}\n\n{other}"}) + "\n" for i in ("a", "b"))
    )
    out = [json.loads(x) for x in CliRunner().invoke(main, ["clean", str(src)]).stdout.splitlines()]
    assert "duplicate_of" not in out[0] and out[1]["duplicate_of"] == "a" and out[1]["text"] == ""
    dropped = CliRunner().invoke(main, ["clean", "--drop-duplicate-docs", str(src)])
    assert [json.loads(x)["id"] for x in dropped.stdout.splitlines()] == ["a"]
    assert "1 dropped as duplicates" in dropped.stderr
