"""The benchmark command keeps working (a small run; the full one is ``--stories 1000 --channels 5``)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_benchmark_smoke_run_sends_and_retracts_everything():
    out = StringIO()
    call_command("channels_benchmark", stories=20, channels=2, stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["dispatches"] == figures["sent"] == figures["posts_made"] == 40
    assert figures["retracted"] == 40 and figures["posts_left_on_networks"] == 0
    assert figures["dispatches_per_second"] > 0 and figures["worker_peak_rss_mb"] > 0
    assert "dispatches per second" in out.getvalue()


def test_benchmark_refuses_an_existing_database(tmp_path):
    existing = tmp_path / "real.sqlite3"
    existing.write_bytes(b"")
    with pytest.raises(CommandError, match="exists"):
        call_command("channels_benchmark", stories=1, channels=1, database=str(existing))
