"""OpenAI Usage and Costs API reports, dashboard exports and batch outputs (OpenAI, Anthropic, Vertex, Gemini).

Records are shaped like the examples in shared/reference/provider-formats.md (sections 1c-1f, 2a, 3a); expected rows
and costs are worked out by hand in the comments, from the rates in pricing/*.yaml (USD per 1M tokens).
"""

from __future__ import annotations

import copy
import json
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from pipelines.ingest.files import compression_of
from pipelines.ingest.loader import ingest_landing
from pipelines.ingest.parse import FileResult, parse_file
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from pipelines.warehouse import connect, ensure_schema
from tests.conftest import make_settings, read

D = Decimal
Record = dict[str, Any]
SHA = "cd" * 32
SECRET = "SECRET-TEXT: never stored"

DAY1, DAY2, DAY3, DAY4 = 1759622400, 1759708800, 1759795200, 1759881600  # 2025-10-05 .. 2025-10-08 00:00 UTC
PROJECT = "proj_4BhNtYH0z7dWbBtzhibxa65W"

# --- fixtures shaped like the reference -----------------------------------------------------------

# Section 1c, the reference completions result, grouped by model, project and batch.
REFERENCE_RESULT: Record = {
    "object": "organization.usage.completions.result", "input_tokens": 59200, "output_tokens": 10646,
    "input_cached_tokens": 5760, "input_cache_write_tokens": 0, "input_uncached_tokens": 53440,
    "input_text_tokens": 53440, "input_cached_text_tokens": 5760, "input_audio_tokens": 0,
    "input_cached_audio_tokens": 0, "input_image_tokens": 0, "input_cached_image_tokens": 0,
    "output_text_tokens": 10646, "output_audio_tokens": 0, "output_image_tokens": 0, "num_model_requests": 10,
    "project_id": PROJECT, "user_id": None, "api_key_id": None, "model": "gpt-4o-2024-08-06", "batch": False,
    "service_tier": None,
}


def completions(model: str | None, uncached: int, cached: int, output: int, requests: int, **extra: Any) -> Record:
    return {**REFERENCE_RESULT, "input_tokens": uncached + cached, "input_uncached_tokens": uncached,
            "input_text_tokens": uncached, "input_cached_tokens": cached, "input_cached_text_tokens": cached,
            "output_tokens": output, "output_text_tokens": output, "num_model_requests": requests, "model": model,
            **extra}


def bucket(start: int, results: list[Record], key: str = "results") -> Record:
    return {"object": "bucket", "start_time": start, "end_time": start + 86400, key: results}


def page(*buckets: Record) -> Record:
    return {"object": "page", "data": list(buckets), "has_more": False, "next_page": None}


USAGE_PAGE = page(
    bucket(DAY1, [
        REFERENCE_RESULT,
        completions("gpt-4o-mini-2024-07-18", 80000, 20000, 30000, 50, batch=True, service_tier="default"),
        completions(None, 5000, 0, 1000, 3, batch=None),
        # Audio sits inside the uncached input and inside the output: 3000 uncached of which 1000 audio.
        completions("gpt-4o-audio-preview-2024-12-17", 3000, 500, 2000, 4, input_audio_tokens=1000,
                    output_audio_tokens=800, service_tier="priority"),
        {"object": "organization.usage.images.result", "images": 3, "num_model_requests": 3, "size": "1024x1024",
         "source": "image.generation", "project_id": PROJECT},
    ]),
    bucket(DAY2, [
        {"object": "organization.usage.embeddings.result", "input_tokens": 8000, "num_model_requests": 4,
         "project_id": PROJECT, "user_id": None, "api_key_id": None, "model": "text-embedding-3-small"},
        {"object": "organization.usage.moderations.result", "input_tokens": 100, "num_model_requests": 1,
         "project_id": None, "user_id": None, "api_key_id": None, "model": None},
    ]),
)
# Before 2025-03 the bucket array was `result`; before input_uncached_tokens, uncached input is input_tokens minus
# the cached count, and input_audio_tokens (then counting cached audio too) is not split out.
OLD_BUCKET = bucket(DAY3, [{"object": "organization.usage.completions.result", "input_tokens": 1000,
                            "output_tokens": 100, "input_cached_tokens": 200, "input_audio_tokens": 50,
                            "num_model_requests": 2, "model": "gpt-4o-2024-08-06"}], key="result")

USAGE_ROW: Record = {
    "event_id": f"openai:usage:completions:{DAY1}:{DAY2}:{PROJECT}:::gpt-4o-2024-08-06:false:",
    "event_time": datetime(2025, 10, 5), "usage_date": date(2025, 10, 5), "provider": "openai",
    "platform": "direct", "model_raw": "gpt-4o-2024-08-06", "project": PROJECT, "api_key_id": None,
    "user_id": None, "service_tier": "standard", "is_batch": False, "endpoint_scope": None,
    "input_tokens": 53440, "cache_read_tokens": 5760, "cache_write_5m_tokens": 0, "cache_write_1h_tokens": 0,
    "output_tokens": 10646, "reasoning_tokens": 0, "input_audio_tokens": 0, "output_audio_tokens": 0,
    "input_image_tokens": 0, "output_image_tokens": 0, "cache_storage_token_hours": D(0), "hardware": None,
    "compute_seconds": D(0),
    "web_search_requests": 0, "requests": 10, "record_grain": "bucket", "context_tier": None,
    "input_unknown": False, "reported_cost_usd": None, "source_format": "openai_usage_api",
}

BATCH_BUCKET = f"openai:usage:completions:{DAY1}:{DAY2}:{PROJECT}:::gpt-4o-mini-2024-07-18:true:default"

# Section 1d.
COSTS_PAGE: Record = {"object": "page", "data": [
    {"object": "bucket", "start_time": 1730419200, "end_time": 1730505600, "results": [
        {"object": "organization.costs.result", "amount": {"value": 0.5, "currency": "usd"},
         "line_item": "gpt-5-nano, input_tokens", "project_id": "proj_abc", "api_key_id": None,
         "quantity": 1000, "quantity_unit": "tokens"},
        {"object": "organization.costs.result", "amount": {"value": 12.345678901234, "currency": "USD"},
         "line_item": None, "project_id": None, "api_key_id": None, "quantity": None, "quantity_unit": None},
        {"object": "organization.costs.result", "amount": {"value": 3.2, "currency": "eur"},
         "line_item": "web_search", "project_id": "proj_abc", "api_key_id": "key_1", "quantity": 0.1234567,
         "quantity_unit": "images"},
    ]}], "has_more": False, "next_page": None}

# Section 1e: the real usage export header and row (tab-separated), plus a day without usage.
USAGE_HEADER = [
    "start_time", "end_time", "start_time_iso", "end_time_iso", "project_id", "num_model_requests", "user_id",
    "api_key_id", "model", "batch", "service_tier", "input_tokens", "output_tokens", "input_cached_tokens",
    "input_uncached_tokens", "input_text_tokens", "output_text_tokens", "input_cached_text_tokens",
    "input_audio_tokens", "input_cached_audio_tokens", "output_audio_tokens", "input_image_tokens",
    "input_cached_image_tokens", "output_image_tokens"]
USAGE_TSV_ROW = ("1759622400	1759708800	2025-10-05T00:00:00+00:00	2025-10-06T00:00:00+00:00	"
                 "proj_4BhNtYH0z7dWbBtzhibxa65W	10.0	user-dAU7Ud7OljwJvKfi4wQzWHyV	key_OYRZfEkH5R9CNgtY	"
                 "gpt-4o-2024-08-06	FALSE	default	59200.0	10646.0	5760.0	53440.0	53440.0	10646.0	5760.0	0.0	"
                 "0.0	0.0	0.0	0.0	0.0")
EMPTY_TSV_ROW = "\t".join(["1759708800", "1759795200", "2025-10-06", "2025-10-07", *[""] * 20])
COST_HEADER = ("start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,"
               "organization_id,organization_name")
COST_HEADER_NEW = COST_HEADER + ",quantity,quantity_unit,user_id,api_key_id,project_name,user_email,api_source"

# Section 1f, with a Responses body, an error-file line and a failed request beside it.
OPENAI_BATCH_LINE: Record = {
    "id": "batch_req_wnaDys", "custom_id": "request-2",
    "response": {"status_code": 200, "request_id": "req_c187b3", "body": {
        "id": "chatcmpl-9758Iw", "object": "chat.completion", "created": 1711475054,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 24, "completion_tokens": 15, "total_tokens": 39}}},
    "error": None}


def openai_batch(created: int, prompt: int, cached: int, completion: int) -> Record:
    line = copy.deepcopy(OPENAI_BATCH_LINE)
    line["response"]["body"].update(created=created, usage={
        "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached}})
    return line


OPENAI_BATCH_RESPONSES: Record = {
    "id": "batch_req_r2", "custom_id": "request-3", "error": None,
    "response": {"status_code": 200, "request_id": "req_r2", "body": {
        "id": "resp_batch_1", "object": "response", "created_at": 1759656600.5, "status": "completed",
        "model": "gpt-4.1-2025-04-14", "output": [{"type": "message", "content": [{"text": SECRET}]}],
        "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 87,
                  "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123}}}}
OPENAI_BATCH_ERROR: Record = {"id": "batch_req_e", "custom_id": "request-4", "response": None,
                              "error": {"code": "batch_expired", "message": "expired"}}
OPENAI_BATCH_FAILED: Record = {"id": "batch_req_f", "custom_id": "request-5", "error": None,
                               "response": {"status_code": 400, "request_id": "req_f",
                                            "body": {"error": {"message": "bad request"}}}}


def anthropic_result(kind: str, message_id: str = "msg_batch_01") -> Record:
    result: Record = {"type": kind}
    if kind == "succeeded":
        result["message"] = {
            "id": message_id, "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "text", "text": SECRET}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 1000, "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 10000,
                      "cache_creation": {"ephemeral_5m_input_tokens": 2000, "ephemeral_1h_input_tokens": 0},
                      "output_tokens": 500, "service_tier": "batch"}}
    elif kind == "errored":
        result["error"] = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}
    return {"custom_id": f"req-{kind}", "result": result}


GEMINI_BATCH_RESPONSE: Record = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": SECRET}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 10000, "cachedContentTokenCount": 5000, "candidatesTokenCount": 1000,
                      "thoughtsTokenCount": 1000, "totalTokenCount": 12000},
    "modelVersion": "gemini-2.5-flash", "responseId": "gem-batch-1"}
VERTEX_BATCH_LINE: Record = {
    "request": {"contents": [{"role": "user", "parts": [{"text": SECRET}]}]},
    "response": {**GEMINI_BATCH_RESPONSE, "responseId": "vertex-batch-1"},
    "status": "", "processed_time": "2025-10-05T08:00:00.123456789Z"}
VERTEX_BATCH_ERROR: Record = {"request": {"contents": []}, "status": "Bad Request: 400 invalid argument",
                              "processed_time": "2025-10-05T08:00:01Z"}
GEMINI_FILE_LINE: Record = {"key": "request-1", "response": {**GEMINI_BATCH_RESPONSE, "responseId": "gem-file-1"}}
GEMINI_FILE_ERROR: Record = {"key": "request-2", "error": {"code": 3, "message": "invalid", "status": "INVALID"}}


def wrap(line: Record, timestamp: str = "2025-10-20T10:00:00Z", **extra: Any) -> Record:
    """The meterline envelope, which gives a batch line that has no time its `timestamp`."""
    return {"timestamp": timestamp, "project": "batch-proj", **extra, "response": line}


# --- helpers --------------------------------------------------------------------------------------


def jsonl(*records: Record) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def parse(path: Path) -> tuple[list[Record], list[Record], FileResult]:
    result = FileResult(source_file=path.name)
    tables: dict[str, list[pa.Table]] = {"usage": [], "cost": []}
    for kind, table in parse_file(path, compression_of(path), SHA, result):
        tables[kind].append(table)
    usage, cost = (pa.concat_tables(t).to_pylist() if t else [] for t in tables.values())
    return usage, cost, result


def without_source(rows: list[Record]) -> list[Record]:
    return [{k: v for k, v in row.items() if k not in ("source_file", "source_line")} for row in rows]


def rejects(result: FileResult) -> dict[str | None, str]:
    return {r.source_record: r.reason for r in result.rejects}


def no_secret(usage: list[Record], result: FileResult) -> None:
    text = repr(usage) + repr(result.rejects)
    assert "SECRET" not in text


# --- Usage API ------------------------------------------------------------------------------------


def test_usage_page_on_one_line_as_a_document_and_as_buckets_gives_the_same_rows(tmp_path: Path) -> None:
    one_line = tmp_path / "page.jsonl"
    one_line.write_bytes(jsonl(USAGE_PAGE))
    document = tmp_path / "page.json"
    document.write_text(json.dumps(USAGE_PAGE, indent=2))
    buckets = tmp_path / "buckets.jsonl"
    buckets.write_bytes(jsonl(*USAGE_PAGE["data"]))

    rows, costs, result = parse(one_line)
    assert costs == []
    assert result.layout == "jsonl" and result.skipped == 0
    # The image result is not token usage: rejected, named by its place in the page.
    assert rejects(result) == {"data[0].results[4]": "organization.usage.images.result is billed by images, not"
                                                     " tokens: meterline does not price it"}
    doc_rows, _, doc_result = parse(document)
    assert doc_result.layout == "json"
    assert rejects(doc_result) == rejects(result)
    assert without_source(doc_rows) == without_source(rows)
    bucket_rows, _, bucket_result = parse(buckets)
    assert without_source(bucket_rows) == without_source(rows)
    assert [r.source_record for r in bucket_result.rejects] == ["results[4]"]

    assert len(rows) == 6
    assert without_source(rows)[0] == USAGE_ROW
    batch, ungrouped, audio, embeddings, moderations = rows[1:]
    # batch=true group: 100000 input = 80000 uncached + 20000 cached
    assert batch["event_id"] == BATCH_BUCKET
    assert (batch["is_batch"], batch["service_tier"], batch["input_tokens"], batch["cache_read_tokens"],
            batch["output_tokens"], batch["requests"]) == (True, "standard", 80000, 20000, 30000, 50)
    # not grouped by model or batch: kept, visible as unpriced
    assert ungrouped["model_raw"] == "unknown (not grouped by model)"
    assert ungrouped["event_id"] == f"openai:usage:completions:{DAY1}:{DAY2}:{PROJECT}:::::"
    assert (ungrouped["is_batch"], ungrouped["input_tokens"], ungrouped["requests"]) == (False, 5000, 3)
    # audio: 3000 uncached - 1000 audio = 2000 text; 2000 output - 800 audio = 1200
    assert (audio["input_tokens"], audio["input_audio_tokens"], audio["cache_read_tokens"], audio["output_tokens"],
            audio["output_audio_tokens"], audio["service_tier"]) == (2000, 1000, 500, 1200, 800, "priority")
    # embeddings and moderations: input and requests only, on their own bucket day
    assert embeddings["event_id"] == f"openai:usage:embeddings:{DAY2}:{DAY3}:{PROJECT}:::text-embedding-3-small::"
    assert (embeddings["event_time"], embeddings["input_tokens"], embeddings["output_tokens"],
            embeddings["requests"]) == (datetime(2025, 10, 6), 8000, 0, 4)
    assert moderations["event_id"] == f"openai:usage:moderations:{DAY2}:{DAY3}::::::"
    assert (moderations["model_raw"], moderations["input_tokens"]) == ("unknown (not grouped by model)", 100)
    assert {r["source_format"] for r in rows} == {"openai_usage_api"}


def test_old_result_spelling_and_old_input_meaning(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_bytes(jsonl(OLD_BUCKET, page(OLD_BUCKET)))
    rows, _, result = parse(path)
    assert result.rejects == []
    assert without_source(rows[:1]) == without_source(rows[1:])  # the bucket alone, and in a page
    row = rows[0]
    # 1000 input - 200 cached = 800 text; the old input_audio_tokens (cached audio included) is not split out
    assert (row["input_tokens"], row["cache_read_tokens"], row["input_audio_tokens"], row["output_tokens"],
            row["requests"], row["event_time"]) == (800, 200, 0, 100, 2, datetime(2025, 10, 7))
    assert row["event_id"] == f"openai:usage:completions:{DAY3}:{DAY4}::::gpt-4o-2024-08-06::"


def test_usage_rejects_and_skips_name_the_result(tmp_path: Path) -> None:
    def result(**changes: Any) -> Record:
        return {**REFERENCE_RESULT, **changes}

    no_requests = result()
    del no_requests["num_model_requests"]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(jsonl(
        bucket(DAY1, []),  # 1: an empty bucket is skipped
        {"object": "bucket", "end_time": DAY2, "results": [REFERENCE_RESULT]},  # 2
        page(bucket(DAY1, [REFERENCE_RESULT]), {"object": "bucket", "start_time": DAY2, "end_time": DAY3}),  # 3
        bucket(DAY1, [
            result(input_audio_tokens=60000),
            no_requests,
            result(service_tier="turbo"),
            result(output_audio_tokens=20000),
            result(batch="yes"),
            result(input_tokens=-5),
            {"object": "organization.usage.web_search_calls.result", "num_requests": 4, "num_model_requests": 4},
            {"object": "organization.usage.future.result"},
            {"input_tokens": 1},
            "not an object",
        ]),  # 4
        bucket(DAY1, [{k: v for k, v in result(input_cached_tokens=60000).items()
                       if k != "input_uncached_tokens"}], key="result"),  # 5
        page(bucket(DAY1, []), bucket(DAY2, [])),  # 6: two empty buckets
        page(),  # 7
    ))
    rows, _, parsed = parse(path)
    assert [row["source_line"] for row in rows] == [3]
    assert parsed.skipped == 4
    reasons = {(r.source_line, r.source_record): r.reason for r in parsed.rejects}
    assert reasons == {
        (2, None): "missing field start_time",
        (3, "data[1]"): "missing field results",
        (4, "results[0]"): "negative token count in input: input_uncached_tokens (53440) is less than"
                           " input_audio_tokens (60000)",
        (4, "results[1]"): "missing field num_model_requests",
        (4, "results[2]"): "unknown service_tier: 'turbo'",
        (4, "results[3]"): "negative token count in output: output_tokens (10646) is less than output_audio_tokens"
                           " (20000)",
        (4, "results[4]"): "field batch is not true/false: 'yes'",
        (4, "results[5]"): "negative token count in input_tokens: -5",
        (4, "results[6]"): "organization.usage.web_search_calls.result is billed by calls, with no model, not tokens:"
                           " meterline does not price it",
        (4, "results[7]"): "unknown result object: 'organization.usage.future.result'",
        (4, "results[8]"): "missing field object",
        (4, "results[9]"): "result is not an object",
        (5, "result[0]"): "negative token count in input: input_tokens (59200) is less than input_cached_tokens"
                          " (60000) plus input_cache_write_tokens (0)",
    }


# --- Costs API ------------------------------------------------------------------------------------

COST_ROWS: list[Record] = [
    {"cost_id": "openai:cost:1730419200:1730505600:proj_abc::gpt-5-nano, input_tokens",
     "bucket_start": datetime(2024, 11, 1), "bucket_end": datetime(2024, 11, 2), "cost_date": date(2024, 11, 1),
     "provider": "openai", "project": "proj_abc", "api_key_id": None, "model": None,
     "line_item": "gpt-5-nano, input_tokens", "cost_type": None, "token_type": None, "service_tier": None,
     "quantity": D("1000"), "quantity_unit": "tokens", "amount_original": D("0.5"), "currency": "usd",
     "amount_usd": D("0.5"), "source_format": "openai_costs_api"},
    {"cost_id": "openai:cost:1730419200:1730505600:::", "bucket_start": datetime(2024, 11, 1),
     "bucket_end": datetime(2024, 11, 2), "cost_date": date(2024, 11, 1), "provider": "openai", "project": None,
     "api_key_id": None, "model": None, "line_item": None, "cost_type": None, "token_type": None,
     "service_tier": None, "quantity": None, "quantity_unit": None,
     # the float's shortest text, not its binary expansion; the currency lower-cased
     "amount_original": D("12.345678901234"), "currency": "usd", "amount_usd": D("12.345678901234"),
     "source_format": "openai_costs_api"},
    {"cost_id": "openai:cost:1730419200:1730505600:proj_abc:key_1:web_search", "bucket_start": datetime(2024, 11, 1),
     "bucket_end": datetime(2024, 11, 2), "cost_date": date(2024, 11, 1), "provider": "openai",
     "project": "proj_abc", "api_key_id": "key_1", "model": None, "line_item": "web_search", "cost_type": None,
     "token_type": None, "service_tier": None, "quantity": D("0.123457"), "quantity_unit": "images",
     # not USD: no dollar amount is invented
     "amount_original": D("3.2"), "currency": "eur", "amount_usd": None, "source_format": "openai_costs_api"},
]


def test_costs_page_gives_exact_decimal_cost_rows(tmp_path: Path) -> None:
    one_line = tmp_path / "costs.jsonl"
    one_line.write_bytes(jsonl(COSTS_PAGE))
    document = tmp_path / "costs.json"
    document.write_text(json.dumps(COSTS_PAGE, indent=2))
    usage, costs, result = parse(one_line)
    assert usage == [] and result.rejects == []
    assert without_source(costs) == COST_ROWS
    assert result.cost_rows == 3 and result.formats == {"openai_costs_api"}
    _, doc_costs, _ = parse(document)
    assert without_source(doc_costs) == COST_ROWS


def test_cost_rejects(tmp_path: Path) -> None:
    def cost(**changes: Any) -> Record:
        return {**COSTS_PAGE["data"][0]["results"][0], **changes}

    path = tmp_path / "bad-costs.jsonl"
    path.write_bytes(jsonl(bucket(DAY1, [cost(amount=None), cost(amount={"value": None, "currency": "usd"}),
                                         cost(amount={"value": "abc", "currency": "usd"}),
                                         cost(amount={"value": 1.0}), cost(amount={"value": 1e30, "currency": "usd"}),
                                         cost(amount={"value": True, "currency": "usd"}),
                                         cost(quantity="lots")])))
    _, costs, result = parse(path)
    assert costs == []
    assert [r.reason for r in result.rejects] == [
        "missing field amount", "missing field amount.value", "field amount.value is not a number: 'abc'",
        "missing field amount.currency", "field amount.value is out of range: 1e+30",
        "field amount.value is not a number: True", "field quantity is not a number: 'lots'"]


# --- dashboard exports ----------------------------------------------------------------------------


def test_usage_export_tsv_and_csv_map_like_the_api(tmp_path: Path) -> None:
    tsv = tmp_path / "usage.tsv"
    tsv.write_text("\t".join(USAGE_HEADER) + "\n" + USAGE_TSV_ROW + "\n" + EMPTY_TSV_ROW + "\n")
    csv_path = tmp_path / "usage.csv"
    batch_row = USAGE_TSV_ROW.replace("FALSE", "TRUE").replace("gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18")
    csv_path.write_text("\n".join([",".join(USAGE_HEADER), USAGE_TSV_ROW.replace("\t", ","),
                                   batch_row.replace("\t", ","), EMPTY_TSV_ROW.replace("\t", ",")]) + "\n")
    rows, costs, result = parse(tsv)
    assert costs == [] and result.rejects == [] and result.skipped == 1
    expected = {**USAGE_ROW, "user_id": "user-dAU7Ud7OljwJvKfi4wQzWHyV", "api_key_id": "key_OYRZfEkH5R9CNgtY",
                "event_id": f"openai:usage:completions:{DAY1}:{DAY2}:{PROJECT}:user-dAU7Ud7OljwJvKfi4wQzWHyV:"
                            "key_OYRZfEkH5R9CNgtY:gpt-4o-2024-08-06:false:default",
                "source_format": "openai_usage_export"}
    assert without_source(rows) == [expected]
    assert rows[0]["source_line"] == 2

    # The same bucket from the API, grouped the same way, is the same event (so one replaces the other).
    api = tmp_path / "api.jsonl"
    api.write_bytes(jsonl(bucket(DAY1, [{**REFERENCE_RESULT, "user_id": "user-dAU7Ud7OljwJvKfi4wQzWHyV",
                                         "api_key_id": "key_OYRZfEkH5R9CNgtY", "service_tier": "default"}])))
    api_rows, _, _ = parse(api)
    assert without_source(api_rows) == [{**expected, "source_format": "openai_usage_api"}]

    csv_rows, _, csv_result = parse(csv_path)
    assert csv_result.rejects == [] and csv_result.skipped == 1
    assert without_source(csv_rows)[0] == expected
    assert (csv_rows[1]["is_batch"], csv_rows[1]["model_raw"], csv_rows[1]["event_id"].rsplit(":", 2)[1:]) == (
        True, "gpt-4o-mini-2024-07-18", ["true", "default"])


def test_usage_export_rejects_non_integral_counts_and_odd_flags(tmp_path: Path) -> None:
    cells = USAGE_TSV_ROW.split("\t")
    half = [*cells[:11], "59200.5", *cells[12:]]
    maybe = [*cells[:9], "MAYBE", *cells[10:]]
    negative = [*cells[:5], "-1", *cells[6:]]
    no_start = ["", *cells[1:]]
    path = tmp_path / "bad.tsv"
    path.write_text("\n".join("\t".join(row) for row in (USAGE_HEADER, half, maybe, negative, no_start)) + "\n")
    rows, _, result = parse(path)
    assert rows == []
    assert {r.source_line: r.reason for r in result.rejects} == {
        2: "field input_tokens is not an integer: '59200.5'",
        3: "field batch is not TRUE or FALSE: 'MAYBE'",
        4: "negative token count in num_model_requests: -1",
        5: "missing field start_time",
    }


def test_cost_exports_both_headers(tmp_path: Path) -> None:
    old = tmp_path / "costs-old.csv"
    old.write_text(COST_HEADER + "\n"
                   "1759622400,1759708800,2025-10-05T00:00:00,2025-10-06T00:00:00,0.8958740000000000,usd,"
                   "\"gpt-4o-2024-08-06, input\",proj_abc,org-1,Acme\n"
                   "1759708800,1759795200,2025-10-06T00:00:00,2025-10-07T00:00:00,,,,,org-1,Acme\n")
    new = tmp_path / "costs-new.tsv"
    new.write_text(COST_HEADER_NEW.replace(",", "\t") + "\n" + "\t".join([
        "1759622400", "1759708800", "2025-10-05T00:00:00+00:00", "2025-10-06T00:00:00+00:00", "0.0012500000000000",
        "usd", "gpt-4o-2024-08-06, output", "proj_abc", "org-1", "Acme", "125.0", "tokens", "user-1", "key_1",
        "Default", "a@example.com", "api"]) + "\n")
    _, costs, result = parse(old)
    assert result.rejects == [] and result.skipped == 1
    assert without_source(costs) == [{
        "cost_id": "openai:cost:1759622400:1759708800:proj_abc::gpt-4o-2024-08-06, input",
        "bucket_start": datetime(2025, 10, 5), "bucket_end": datetime(2025, 10, 6), "cost_date": date(2025, 10, 5),
        "provider": "openai", "project": "proj_abc", "api_key_id": None, "model": None,
        "line_item": "gpt-4o-2024-08-06, input", "cost_type": None, "token_type": None, "service_tier": None,
        "quantity": None, "quantity_unit": None, "amount_original": D("0.895874"), "currency": "usd",
        "amount_usd": D("0.895874"), "source_format": "openai_cost_export"}]
    _, costs, result = parse(new)
    assert result.rejects == []
    (row,) = costs
    assert row["cost_id"] == "openai:cost:1759622400:1759708800:proj_abc:key_1:gpt-4o-2024-08-06, output:user-1:api"
    assert (row["amount_usd"], row["quantity"], row["quantity_unit"], row["api_key_id"]) == (
        D("0.00125"), D("125"), "tokens", "key_1")


# --- batch outputs --------------------------------------------------------------------------------


def test_openai_batch_output(tmp_path: Path) -> None:
    embeddings = copy.deepcopy(OPENAI_BATCH_LINE)
    embeddings["response"]["body"] = {"object": "list", "data": [], "model": "text-embedding-3-small",
                                      "usage": {"prompt_tokens": 8, "total_tokens": 8}}
    no_usage = copy.deepcopy(OPENAI_BATCH_LINE)
    del no_usage["response"]["body"]["usage"]
    path = tmp_path / "batch_output.jsonl"
    path.write_bytes(jsonl(OPENAI_BATCH_LINE, OPENAI_BATCH_RESPONSES, OPENAI_BATCH_ERROR, OPENAI_BATCH_FAILED,
                           embeddings, no_usage))
    rows, _, result = parse(path)
    assert result.skipped == 2  # the error-file line and the 400: not billed
    assert {r.source_line: r.reason for r in result.rejects} == {
        5: "response.body is not a chat completion or a response (object 'list')",
        6: "response.body: missing field usage (streaming chunk without usage, or an error response)",
    }
    chat, responses = rows
    assert without_source([chat]) == [{
        **USAGE_ROW, "event_id": "openai:chatcmpl-9758Iw", "event_time": datetime(2024, 3, 26, 17, 44, 14),
        "usage_date": date(2024, 3, 26), "model_raw": "gpt-4o-mini-2024-07-18", "project": None, "is_batch": True,
        "input_tokens": 24, "cache_read_tokens": 0, "output_tokens": 15, "requests": 1, "record_grain": "request",
        "source_format": "openai_batch_output"}]
    assert (responses["event_id"], responses["is_batch"], responses["input_tokens"], responses["output_tokens"],
            responses["event_time"]) == ("openai:resp_batch_1", True, 36, 87, datetime(2025, 10, 5, 9, 30, 0, 500000))
    no_secret(rows, result)


def test_anthropic_batch_results_need_the_envelope_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "msgbatch_results.jsonl"
    path.write_bytes(jsonl(wrap(anthropic_result("succeeded")), anthropic_result("succeeded", "msg_bare"),
                           anthropic_result("errored"), anthropic_result("canceled"), anthropic_result("expired"),
                           {"custom_id": "x", "result": {"type": "pending"}},
                           {"custom_id": "y", "result": {"type": "succeeded", "message": {"type": "ping"}}}))
    rows, _, result = parse(path)
    assert result.skipped == 3
    assert {r.source_line: r.reason for r in result.rejects} == {
        2: "no timestamp: Anthropic responses carry none, wrap them in the envelope (`timestamp`)",
        6: "unknown result.type: 'pending'",
        7: "result.message: not a whole response (Anthropic stream event ping carries no usage)",
    }
    (row,) = rows
    assert (row["event_id"], row["event_time"], row["project"], row["is_batch"], row["service_tier"],
            row["input_tokens"], row["cache_read_tokens"], row["cache_write_5m_tokens"], row["output_tokens"],
            row["source_format"]) == ("anthropic:msg_batch_01", datetime(2025, 10, 20, 10), "batch-proj", True,
                                      "standard", 1000, 10000, 2000, 500, "anthropic_batch_results")
    no_secret(rows, result)


def test_vertex_batch_prediction_lines(tmp_path: Path) -> None:
    created = copy.deepcopy(VERTEX_BATCH_LINE)
    created["response"].update(createTime="2025-10-05T07:59:00Z", responseId="vertex-batch-2")
    empty_status = {**VERTEX_BATCH_ERROR, "status": ""}
    path = tmp_path / "predictions.jsonl"
    path.write_bytes(jsonl(VERTEX_BATCH_LINE, created, VERTEX_BATCH_ERROR, empty_status))
    rows, _, result = parse(path)
    assert result.skipped == 1
    assert {r.source_line: r.reason for r in result.rejects} == {4: "missing field response"}
    first, second = rows
    # 10000 prompt - 5000 cached = 5000 uncached; 1000 candidates + 1000 thoughts = 2000 output
    assert (first["event_id"], first["platform"], first["is_batch"], first["event_time"], first["input_tokens"],
            first["cache_read_tokens"], first["output_tokens"], first["reasoning_tokens"], first["source_format"]) == (
        "google:vertex-batch-1", "vertex", True, datetime(2025, 10, 5, 8, 0, 0, 123456), 5000, 5000, 2000, 1000,
        "vertex_batch_prediction")
    assert second["event_time"] == datetime(2025, 10, 5, 7, 59)  # the response's createTime wins
    no_secret(rows, result)


def test_gemini_file_batch_lines(tmp_path: Path) -> None:
    path = tmp_path / "gemini-batch.jsonl"
    path.write_bytes(jsonl(wrap(GEMINI_FILE_LINE, provider="google"), GEMINI_FILE_LINE, GEMINI_FILE_ERROR,
                           {"key": "request-3", "status": {"code": 13, "message": "internal"}}))
    rows, _, result = parse(path)
    assert result.skipped == 2
    assert {r.source_line: r.reason for r in result.rejects} == {
        2: "no timestamp: the record has none and no envelope `timestamp` was given"}
    (row,) = rows
    assert (row["event_id"], row["platform"], row["is_batch"], row["event_time"], row["model_raw"],
            row["source_format"]) == ("google:gem-file-1", "direct", True, datetime(2025, 10, 20, 10),
                                      "gemini-2.5-flash", "gemini_batch_output")
    no_secret(rows, result)


# --- one pipeline run: hand-computed costs --------------------------------------------------------

RESTATED_PROJECT = "proj_restated"


def restated_bucket(uncached: int, output: int, requests: int) -> Record:
    return bucket(DAY3, [completions("gpt-4o-2024-08-06", uncached, 0, output, requests,
                                     project_id=RESTATED_PROJECT)])


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("openai_batches"))
    landing = settings.landing
    # The first fetch of a bucket, loaded before the restated copy arrives.
    (landing / "openai").mkdir()
    (landing / "openai" / "usage-first.jsonl").write_bytes(jsonl(restated_bucket(1_000_000, 100_000, 100)))
    settings.warehouse.parent.mkdir(parents=True)
    with connect(settings.warehouse) as conn:
        ensure_schema(conn)
        ingest_landing(conn, landing)
    # The ledger records load times to the second: the later copy must be loaded in a later second.
    time.sleep(1.1)
    (landing / "openai" / "usage-restated.jsonl").write_bytes(jsonl(restated_bucket(1_200_000, 150_000, 120)))
    (landing / "openai" / "usage-page.jsonl").write_bytes(jsonl(page(USAGE_PAGE["data"][0])))
    (landing / "openai" / "costs.json").write_text(json.dumps(COSTS_PAGE, indent=2))
    # 2025-10-05 09:30 UTC: the reference line's own date predates gpt-4o-mini-2024-07-18.
    (landing / "openai" / "batch_output.jsonl").write_bytes(jsonl(openai_batch(1759656600, 2000, 1000, 500),
                                                                  OPENAI_BATCH_ERROR))
    (landing / "anthropic" / "msgbatch_results.jsonl").parent.mkdir()
    (landing / "anthropic" / "msgbatch_results.jsonl").write_bytes(jsonl(wrap(anthropic_result("succeeded")),
                                                                         anthropic_result("errored")))
    (landing / "google").mkdir()
    (landing / "google" / "predictions.jsonl").write_bytes(jsonl(VERTEX_BATCH_LINE, VERTEX_BATCH_ERROR))
    (landing / "google" / "gemini-batch.jsonl").write_bytes(jsonl(wrap(GEMINI_FILE_LINE, provider="google")))
    run_pipeline(settings)
    return settings


EXPECTED: dict[str, tuple[str, Decimal | None]] = {
    # gpt-4o: 53440 uncached x 2.50 + 5760 cached x 1.25 + 10646 out x 10 = 0.1336 + 0.0072 + 0.10646
    USAGE_ROW["event_id"]: ("priced", D("0.24726")),
    # gpt-4o-mini batch: 80000 x 0.075 + 20000 cached x 0.075 (no batch cached rate: standard) + 30000 x 0.30
    #   = 0.006 + 0.0015 + 0.009
    BATCH_BUCKET: ("priced", D("0.0165")),
    # not grouped by model: visible, never $0
    f"openai:usage:completions:{DAY1}:{DAY2}:{PROJECT}:::::": ("unpriced_model", None),
    # gpt-4o-audio-preview has no priority tier in the catalogue
    f"openai:usage:completions:{DAY1}:{DAY2}:{PROJECT}:::gpt-4o-audio-preview-2024-12-17:false:priority":
        ("unpriced_variant", None),
    # the restated bucket only: gpt-4o 1,200,000 x 2.50 + 150,000 x 10 = 3.0 + 1.5 (the first copy said 3.5)
    f"openai:usage:completions:{DAY3}:{DAY4}:{RESTATED_PROJECT}:::gpt-4o-2024-08-06:false:": ("priced", D("4.5")),
    # OpenAI batch line, gpt-4o-mini batch: 1000 uncached x 0.075 + 1000 cached x 0.075 + 500 x 0.30
    "openai:chatcmpl-9758Iw": ("priced", D("0.0003")),
    # haiku-4.5 batch halves every class: 1000 x 0.5 + 10000 read x 0.05 + 2000 5m-write x 0.625 + 500 x 2.5
    "anthropic:msg_batch_01": ("priced", D("0.0035")),
    # Vertex gemini-2.5-flash batch halves input and output, not cache reads:
    #   5000 x 0.15 + 5000 cached x 0.03 + (1000 + 1000 thoughts) x 1.25 = 0.00075 + 0.00015 + 0.0025
    "google:vertex-batch-1": ("priced", D("0.0034")),
    # Gemini API gemini-2.5-flash batch, the same rates in google.yaml
    "google:gem-file-1": ("priced", D("0.0034")),
}


def test_pipeline_prices_reports_and_batches_as_computed_by_hand(landed: Settings) -> None:
    rows = read(landed, "SELECT event_id, cost_status, list_cost_usd, is_batch FROM core.usage_priced")
    priced = {row[0]: row[1:] for row in rows}
    assert set(priced) == set(EXPECTED)
    for event_id, (status, cost) in EXPECTED.items():
        assert priced[event_id][:2] == (status, cost), event_id
    assert {event_id for event_id, row in priced.items() if row[2]} == {
        BATCH_BUCKET, "openai:chatcmpl-9758Iw", "anthropic:msg_batch_01", "google:vertex-batch-1", "google:gem-file-1"}
    (raw,), = read(landed, "SELECT model_raw FROM core.usage_priced WHERE cost_status = 'unpriced_model'"
                           " AND model_raw LIKE 'unknown%'")
    assert raw == "unknown (not grouped by model)"


def test_restated_bucket_replaces_the_earlier_copy(landed: Settings) -> None:
    (staged,), = read(landed, "SELECT count(*) FROM staging.usage_records WHERE project = ?", [RESTATED_PROJECT])
    assert staged == 2  # both copies are kept in staging ...
    (cost, requests, source), = read(landed, "SELECT sum(list_cost_usd), sum(requests), any_value(source_file)"
                                             " FROM core.usage_priced WHERE project = ?", [RESTATED_PROJECT])
    # ... the restated one alone is priced: 4.5, not 3.5 + 4.5
    assert (cost, requests) == (D("4.5"), 120)
    assert source.endswith("usage-restated.jsonl")


def test_costs_page_lands_in_reported_costs_with_exact_amounts(landed: Settings) -> None:
    rows = read(landed, "SELECT cost_id, amount_original, currency, amount_usd, quantity FROM staging.reported_costs"
                        " ORDER BY cost_id")
    assert rows == sorted((row["cost_id"], row["amount_original"], row["currency"], row["amount_usd"],
                           row["quantity"]) for row in COST_ROWS)
    assert rows[0][1] == D("12.345678901234")
