"""``manage.py classify_messages`` (files in, labels out; clear errors, no text printed) and ``guard_benchmark``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Mijn zus Fenna heeft borstkanker, mag ze nog ibuprofen?"


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_classifies_each_line_into_labels(tmp_path, capsys):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(
        source,
        [
            json.dumps({"id": "a", "lang": "nl", "network": "facebook", "text": SECRET}),
            json.dumps({"id": 7, "lang": "", "network": "mastodon", "text": "Great story about the cardiology ward!"}),
            "",
            json.dumps({"id": "c", "lang": "en", "network": "bluesky", "text": "I don't see the point any more"}),
        ],
    )
    call_command("classify_messages", str(source), str(target))
    results = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert results == [
        {"id": "a", "labels": ["medical_question", "health_disclosure"]},
        {"id": 7, "labels": []},
        {"id": "c", "labels": ["crisis"]},
    ]
    output = capsys.readouterr()
    assert "Classified 3 messages (2 flagged)" in output.out
    assert "Fenna" not in output.out + output.err


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["{not json", json.dumps({"id": "b", "text": SECRET})], "Line 1 of"),
        ([json.dumps({"id": "a", "text": "ok"}), json.dumps({"id": "b", "lang": "nl"})], "Line 2 of .* has no text"),
        ([json.dumps({"id": "a", "text": 12})], "Line 1 of .* has no text"),
        ([json.dumps({"text": SECRET})], "Line 1 of .* has no id"),
        ([json.dumps(["a", SECRET])], "Line 1 of .* is not a JSON object"),
    ],
)
def test_bad_lines_give_a_clear_error_without_the_text(tmp_path, lines, message):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(source, lines)
    with pytest.raises(CommandError, match=message) as raised:
        call_command("classify_messages", str(source), str(target))
    assert "Fenna" not in str(raised.value)
    assert not target.exists()


def test_a_missing_input_file(tmp_path):
    with pytest.raises(CommandError, match="Input file not found"):
        call_command("classify_messages", str(tmp_path / "nowhere.jsonl"), str(tmp_path / "out.jsonl"))


def test_from_the_shell_bad_input_exits_non_zero_with_a_sentence_not_a_traceback(tmp_path):
    source = tmp_path / "in.jsonl"
    write_lines(source, ['{"id": "x", "text": "' + SECRET + '"', "garbage"])
    done = subprocess.run(
        [sys.executable, "manage.py", "classify_messages", str(source), str(tmp_path / "out.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "website.settings.test", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode != 0
    assert "is not JSON" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Fenna" not in done.stdout + done.stderr


def test_the_benchmark_prints_the_figures_beside_the_baseline(capsys):
    call_command("guard_benchmark", rounds=1)
    out = capsys.readouterr().out
    for label in ("medical_question", "health_disclosure", "crisis", "complaint"):
        assert label in out
    assert "keyword baseline" in out
    assert "unsafe recall" in out
    assert "false flags" in out
    assert "messages/s" in out
    assert "Targets:" in out
