"""Bad input lands in raw.rejects with file, line and reason, or fails with one clear line; the run goes on."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import envelope, make_settings, read, write_jsonl

METERLINE = str(Path(sys.executable).parent / "meterline")


def chat(rid: str, model: str = "gpt-4o-mini-2024-07-18", prompt: int = 100, cached: int = 0) -> dict[str, Any]:
    return {"id": rid, "object": "chat.completion", "created": 1773144000, "model": model,
            "usage": {"prompt_tokens": prompt, "completion_tokens": 10,
                      "prompt_tokens_details": {"cached_tokens": cached}}}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("bad"))
    landing = settings.landing
    lines = [
        orjson.dumps(chat("chatcmpl-ok-1")),
        b'{"id": "chatcmpl-broken", "object": "chat.completion", "usage": {"prompt_tokens": 5',
        orjson.dumps(chat("chatcmpl-negative", prompt=100, cached=150)),
        orjson.dumps(chat("chatcmpl-unknown", model="gpt-42-turbo")),
        b"",
        orjson.dumps(envelope("2026-03-10T12:00:00Z", {"id": "msg_neg", "type": "message", "model": "claude-haiku-4-5",
                                                       "usage": {"input_tokens": -5, "output_tokens": 3}})),
        orjson.dumps(chat("chatcmpl-ok-2")),
    ]
    (landing / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    payload = b"".join(orjson.dumps(chat(f"chatcmpl-gz-{i}")) + b"\n" for i in range(400))
    compressed = gzip.compress(payload, mtime=0)
    (landing / "cut.jsonl.gz").write_bytes(compressed[: len(compressed) * 2 // 3])
    (landing / "empty.jsonl").write_bytes(b"")
    (landing / "export.csv").write_text("date,model,cost\n2026-03-10,gpt-4o,1.23\n")
    run_pipeline(settings)
    return settings


def test_every_bad_line_has_a_reject_row_with_file_line_and_reason(settings: Settings) -> None:
    rejects = read(settings, "SELECT source_file, source_line, reason FROM raw.rejects ORDER BY ALL")
    by_file: dict[str, list[tuple[Any, str]]] = {}
    for source_file, line, reason in rejects:
        by_file.setdefault(Path(source_file).name, []).append((line, reason))
    mixed = by_file["mixed.jsonl"]
    assert [line for line, _ in mixed] == [2, 3, 6]
    assert mixed[0][1].startswith("malformed JSON")
    assert "usage.prompt_tokens (100) is less than cached (150)" in mixed[1][1]
    assert mixed[2][1] == "negative token count in usage.input_tokens: -5"
    (cut_line, cut_reason), = by_file["cut.jsonl.gz"]
    assert cut_line is None and "truncated" in cut_reason
    assert by_file["empty.jsonl"] == [(None, "empty file: no records")]
    (csv_line, csv_reason), = by_file["export.csv"]
    assert csv_line is None and csv_reason.startswith("unrecognised format")


def test_good_lines_around_the_bad_ones_are_kept(settings: Settings) -> None:
    ledger = dict(read(settings, "SELECT regexp_extract(source_file, '[^/]+$'), status FROM raw.file_ledger"))
    assert ledger == {"mixed.jsonl": "partial", "cut.jsonl.gz": "partial", "empty.jsonl": "rejected",
                      "export.csv": "rejected"}
    (kept_from_cut,), = read(settings, "SELECT count(*) FROM core.usage_events WHERE source_file LIKE '%cut.jsonl.gz'")
    assert 0 < kept_from_cut < 400
    ids = {row[0] for row in read(settings, "SELECT event_id FROM core.usage_events WHERE source_file LIKE '%mixed%'")}
    assert ids == {"openai:chatcmpl-ok-1", "openai:chatcmpl-ok-2", "openai:chatcmpl-unknown"}


def test_an_unknown_model_is_flagged_never_zero(settings: Settings) -> None:
    (status, cost), = read(settings, "SELECT cost_status, list_cost_usd FROM core.usage_priced"
                                     " WHERE event_id = 'openai:chatcmpl-unknown'")
    assert status == "unpriced_model" and cost is None
    (unpriced,), = read(
        settings, "SELECT sum(unpriced_requests) FROM marts.daily_model_spend WHERE model = 'gpt-42-turbo'"
    )
    assert unpriced == 1


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([METERLINE, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


def test_cli_rejects_a_missing_landing_folder_in_one_line(tmp_path: Path) -> None:
    result = _cli("run", "--landing", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: landing folder {tmp_path / 'nope'} does not exist"]


def test_cli_rejects_a_bad_catalogue_naming_file_and_entry(tmp_path: Path) -> None:
    pricing = tmp_path / "pricing"
    pricing.mkdir()
    text = (bundled_pricing_dir() / "openai.yaml").read_text()
    (pricing / "openai.yaml").write_text(text.replace("rates: {input: 2.50, cache_read: 1.25, output: 10.00,",
                                                      "rates: {input: -2.50, cache_read: 1.25, output: 10.00,"))
    (tmp_path / "landing").mkdir()
    result = _cli("run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb"),
                  "--pricing", str(pricing))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"{pricing / 'openai.yaml'}: models[1] (gpt-4o) > prices[0] > rates > input" in line
    assert "negative" in line


def test_cli_reports_a_locked_warehouse(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " time.sleep(60)", str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        (tmp_path / "landing").mkdir()
        started = time.monotonic()
        result = _cli("run", "--landing", str(tmp_path / "landing"), "--warehouse", str(warehouse))
        assert result.returncode == 1
        (line,) = result.stderr.strip().splitlines()
        assert f"warehouse {warehouse} is locked by another process" in line
        assert f"PID {holder.pid}" in line
        assert time.monotonic() - started < 60
    finally:
        holder.kill()
        holder.wait()


def test_flags_override_environment_which_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METERLINE_LANDING", str(tmp_path / "from-env"))
    monkeypatch.delenv("METERLINE_WAREHOUSE", raising=False)
    assert Settings.resolve().landing == tmp_path / "from-env"
    assert Settings.resolve(landing=tmp_path / "flag").landing == tmp_path / "flag"
    assert Settings.resolve().warehouse == Path("warehouse/meterline.duckdb").resolve()


def test_bare_anthropic_lines_without_a_timestamp_are_rejected_not_misdated(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    write_jsonl(settings.landing / "bare.jsonl", [{"id": "msg_1", "type": "message", "model": "claude-haiku-4-5",
                                                   "usage": {"input_tokens": 5, "output_tokens": 3}}])
    outcome = run_pipeline(settings)
    assert outcome.rows_rejected == 1 and outcome.blocks == ()
    (reason,), = read(settings, "SELECT reason FROM raw.rejects")
    assert reason.startswith("no timestamp: Anthropic responses carry none")
