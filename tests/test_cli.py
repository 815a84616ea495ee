import json

import pytest
from click.testing import CliRunner
from conftest import SEEDS, run_cli

import cleanseed
from cleanseed.cli import main
from cleanseed.errors import ConfigError


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


BAD_CONFIGS = {
    "clean = 5\n": "[clean] must be a table",
    "[[clean]]\njobs = 2\n": "[clean] must be a table",
    "[other]\nx = 1\n": "unknown table(s) or setting(s) outside a table: other",
    "jobs = 2\n": "unknown table(s) or setting(s) outside a table: jobs",
    '[clean]\njobs = "2"\n': "jobs must be an integer, not '2'",
    "[clean]\njobs = 2.5\n": "jobs must be an integer, not 2.5",
    "[clean]\njobs = true\n": "jobs must be an integer, not True",
    '[clean]\nfurniture = "no"\n': "furniture must be true or false, not 'no'",
    "[clean]\nstrict = 1\n": "strict must be true or false, not 1",
    "[clean]\ntext_field = 3\n": "text_field must be a string, not 3",
    '[dedup]\nenabled = "no"\n': "enabled must be true or false, not 'no'",
    '[dedup]\nthreshold = "0.5"\n': "threshold must be a number, not '0.5'",
    "[dedup]\nnum_perm = 64.0\n": "num_perm must be an integer, not 64.0",
    '[dedup]\nmin_words = "x"\n': "min_words must be an integer, not 'x'",
    "[dedup]\nwindow = 1.5\n": "window must be an integer, not 1.5",
    "[dedup]\nindex = 5\n": "index must be a string, not 5",
    "[dedup]\nseed = -1\n": "seed must be in [0, 4294959376], not -1",
    "[dedup]\nseed = 4294967295\n": "seed must be in [0, 4294959376], not 4294967295",
    "[dedup]\nnum_perm = 1000000\nbands = 1\n": "num_perm must be at most 1024, not 1000000",
}


@pytest.mark.parametrize("text", BAD_CONFIGS)
def test_config_of_the_wrong_shape_or_type_is_one_line_exit_1(tmp_path, text):
    # each of these was a traceback, or was accepted and ran with a setting the file did not mean
    # ("no" is true, text_field 3 failed every document, a table not read at all went unnoticed)
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    result = run_cli("clean", "--config", str(cfg), str(SEEDS[0]))
    err = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b""
    assert err.splitlines() == [f"Error: {BAD_CONFIGS[text]}"]


def test_library_options_of_the_wrong_type_raise_config_error():
    for options in (
        {"jobs": "2"},
        {"mark": "yes"},
        {"threshold": "0.5"},
        {"text_field": 3},
        {"colour": "red"},
    ):
        with pytest.raises(ConfigError):
            list(cleanseed.clean([{"text": "A sentence of text."}], **options))


def test_binary_config_is_one_line_exit_1(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(b"[clean]\n\xd0\x00\xff\x7fELF")
    result = run_cli("clean", "--config", str(cfg), str(SEEDS[0]))
    assert result.returncode == 1 and result.stdout == b""
    assert result.stderr.decode().splitlines() == [
        f"Error: bad config {cfg}: not UTF-8 text (byte 0xd0 at offset 8)"
    ]


def test_library_records_that_are_not_dicts_are_error_records():
    # they raised AttributeError ('str' object has no attribute 'get') and ended the run; as a
    # JSONL line that is not an object, each is now a failed record and the others come through
    good = {"id": "g", "text": "A good document that sits beside the bad ones and comes through."}
    out = list(cleanseed.clean(["a string", None, 5, [1, 2], b"{}", good]))
    assert [o["id"] for o in out] == [f"<input>:{n}" for n in range(1, 6)] + ["g"]
    assert [o.get("error") for o in out[:5]] == [
        f"record is a {kind}, not a dict" for kind in ("str", "NoneType", "int", "list", "bytes")
    ]
    assert out[5]["text"] == good["text"] and "error" not in out[5]


def test_config_file_without_jobs_keeps_the_default_jobs(tmp_path, monkeypatch):
    """A config file that says nothing of jobs leaves the command's default (the cores) alone;
    one that sets jobs wins over that default, and the flag wins over both."""
    import cleanseed.cli as cli

    seen = []
    real_run = cli.run

    def spy(records, config, *args, **kwargs):
        seen.append(config.jobs)
        return real_run(records, config, *args, **kwargs)

    monkeypatch.setattr(cli, "run", spy)
    monkeypatch.setattr(cli, "default_jobs", lambda: 3)
    silent = tmp_path / "silent.toml"
    silent.write_text("[dedup]\nthreshold = 0.6\n")
    sets = tmp_path / "sets.toml"
    sets.write_text("[clean]\njobs = 2\n")
    runner = CliRunner()
    for args in (
        ["--config", str(silent)],
        ["--config", str(sets)],
        ["--config", str(sets), "--jobs", "1"],
        [],
    ):
        result = runner.invoke(main, ["clean", "-q", *args, str(SEEDS[0])])
        assert result.exit_code == 0, result.output
    assert seen == [3, 2, 1, 3]


def test_load_config_defaults_sit_below_the_file_and_the_overrides(tmp_path):
    from cleanseed.config import load_config

    cfg = tmp_path / "c.toml"
    cfg.write_text("[clean]\njobs = 2\n")
    assert load_config(None, defaults={"jobs": 4}).jobs == 4
    assert load_config(cfg, defaults={"jobs": 4}).jobs == 2
    assert load_config(cfg, defaults={"jobs": 4}, jobs=1).jobs == 1
    assert load_config(None).jobs == 1  # the library's own default: one process
