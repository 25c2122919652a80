"""Anthropic Admin usage and cost reports, Bedrock invocation logs and Converse usage: canonical rows from real
files (parse_file), their rejects and skips, and costs computed by hand through one real pipeline run.

Fixtures follow shared/reference/provider-formats.md sections 2b, 2c, 4a and 4b. Rates are the catalogue's list
prices per 1M tokens (pricing/anthropic.yaml, pricing/bedrock.yaml); each expected cost is worked out beside it.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from pipelines.ingest import registry
from pipelines.ingest.files import compression_of
from pipelines.ingest.formats import anthropic_reports, bedrock
from pipelines.ingest.parse import FileResult, parse_file
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import make_settings, read, write_jsonl
from tests.reference_examples import ANTHROPIC_EXAMPLE, CHAT_EXAMPLE, GEMINI_EXAMPLE, RESPONSES_EXAMPLE

D = Decimal
Record = dict[str, Any]
SHA = "cd" * 32
SECRET = "SECRET-PROMPT: the quarterly numbers"

# Section 2b, verbatim.
USAGE_PAGE: Record = {
    "data": [{"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z",
              "results": [{"api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT",
                           "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
                           "model": "claude-sonnet-4-20250514", "service_tier": "standard",
                           "context_window": "0-200k",
                           "uncached_input_tokens": 1500, "cache_read_input_tokens": 200,
                           "cache_creation": {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
                           "output_tokens": 500, "server_tool_use": {"web_search_requests": 10}}]}],
    "has_more": True, "next_page": "page_MjAyNS0wNS0xNFQwMDowMDowMFo=",
}
USAGE_EVENT_ID = ("anthropic:usage:2025-08-01T00:00:00/2025-08-02T00:00:00:api_key_id=apikey_01Rj2N8SVvo6BePZj99NhmiT;"
                  "context_window=0-200k;model=claude-sonnet-4-20250514;service_tier=standard;"
                  "workspace_id=wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")

# Section 2c, verbatim.
COST_PAGE: Record = {
    "data": [{"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z", "results": [
        {"amount": "4512.5000", "currency": "USD", "cost_type": "tokens", "token_type": "cache_read_input_tokens",
         "model": "claude-sonnet-4-20250514", "service_tier": "standard", "context_window": "0-200k",
         "description": "Claude Sonnet 4 Usage - Input Tokens, Cache Hit",
         "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"}]}],
    "has_more": False, "next_page": None,
}

# Section 4a, verbatim except for a secret in the logged request body, which must never be read.
INVOCATION_LOG: Record = {
    "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": "2025-03-31T21:34:03Z",
    "accountId": "123456789012", "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/MyRole/app"},
    "region": "us-east-1", "requestId": "0b6f5a2e-7c1d-4e8b-9f3a-2d4c6e8a0b1c", "operation": "Converse",
    "modelId": "us.anthropic.claude-sonnet-4-20250514-v1:0", "inferenceRegion": "us-west-2",
    "input": {"inputContentType": "application/json",
              "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": SECRET}]}]},
              "inputTokenCount": 42, "cacheReadInputTokenCount": 18000, "cacheWriteInputTokenCount": 0},
    "output": {"outputContentType": "application/json",
               "outputBodyJson": {"usage": {"inputTokens": 42, "outputTokens": 380, "totalTokens": 18422,
                                            "cacheReadInputTokens": 18000, "cacheWriteInputTokens": 0}},
               "outputTokenCount": 380},
    "requestMetadata": {"team": "search"},
}

# Section 4b, verbatim (with a secret in the message), plus the request id boto3 keeps beside it.
CONVERSE: Record = {
    "output": {"message": {"role": "assistant", "content": [{"text": SECRET}]}}, "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 310, "totalTokens": 5422, "cacheReadInputTokens": 5100,
              "cacheWriteInputTokens": 0},
    "metrics": {"latencyMs": 2190},
    "ResponseMetadata": {"RequestId": "5d8e7b3c-1f2a-4c6d-8e9f-0a1b2c3d4e5f", "HTTPStatusCode": 200},
}


def usage_result(model: str | None, uncached: int, read: int, write_5m: int, write_1h: int, output: int,
                 web: int = 0, tier: str | None = "standard", context: str | None = "0-200k",
                 **dims: str | None) -> Record:
    return {"api_key_id": "apikey_01", "workspace_id": "wrkspc_01", "model": model, "service_tier": tier,
            "context_window": context, "uncached_input_tokens": uncached, "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_1h_input_tokens": write_1h, "ephemeral_5m_input_tokens": write_5m},
            "output_tokens": output, "server_tool_use": {"web_search_requests": web}, **dims}


def bucket(day: str, *results: Record) -> Record:
    return {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{day[:8]}{int(day[8:]) + 1:02d}T00:00:00Z",
            "results": list(results)}


def page(*buckets: Record) -> Record:
    return {"data": list(buckets), "has_more": False, "next_page": None}


def invocation_log(request_id: str, model_id: str, uncached: int, read: int, written: int, output: int,
                   details: list[Record] | None = None, **extra: Any) -> Record:
    record = copy.deepcopy(INVOCATION_LOG)
    record.update(requestId=request_id, modelId=model_id, timestamp="2026-03-10T21:34:03Z", **extra)
    record["input"].update(inputTokenCount=uncached, cacheReadInputTokenCount=read, cacheWriteInputTokenCount=written)
    record["output"]["outputTokenCount"] = output
    usage = {"inputTokens": uncached, "outputTokens": output, "totalTokens": uncached + read + written + output,
             "cacheReadInputTokens": read, "cacheWriteInputTokens": written}
    if details is not None:
        usage["cacheDetails"] = details
    record["output"]["outputBodyJson"] = {"usage": usage}
    return record


def converse(request_id: str, uncached: int, output: int, read: int = 0, written: int = 0,
             details: list[Record] | None = None, total: int | None = None) -> Record:
    record = copy.deepcopy(CONVERSE)
    record["ResponseMetadata"]["RequestId"] = request_id
    record["usage"] = {"inputTokens": uncached, "outputTokens": output,
                       "totalTokens": uncached + read + written + output if total is None else total,
                       "cacheReadInputTokens": read, "cacheWriteInputTokens": written}
    if details is not None:
        record["usage"]["cacheDetails"] = details
    return record


def bedrock_envelope(response: Record, model: str, timestamp: str = "2026-03-10T12:00:00Z",
                     **extra: Any) -> Record:
    return {"timestamp": timestamp, "provider": "bedrock", "model": model, "project": "proj", **extra,
            "response": response}


def parse(path: Path) -> tuple[list[Record], list[Record], FileResult]:
    result = FileResult(source_file=path.name)
    usage: list[pa.Table] = []
    costs: list[pa.Table] = []
    for kind, table in parse_file(path, compression_of(path), SHA, result):
        (usage if kind == "usage" else costs).append(table)
    rows = pa.concat_tables(usage).to_pylist() if usage else []
    return rows, (pa.concat_tables(costs).to_pylist() if costs else []), result


def rejects(result: FileResult) -> list[tuple[str | None, str]]:
    return [(r.source_record, r.reason) for r in result.rejects]


def assert_no_text(rows: list[Record], result: FileResult) -> None:
    values = [str(v) for row in rows for v in row.values()] + [r.reason for r in result.rejects]
    assert not any("SECRET" in value for value in values)


# --- Anthropic Usage Report -------------------------------------------------------------------------------------


def test_usage_report_page_on_one_line_maps_the_reference_example(tmp_path: Path) -> None:
    rows, costs, result = parse(write_jsonl(tmp_path / "usage.jsonl", [USAGE_PAGE]))
    assert (rejects(result), costs, result.skipped) == ([], [], 0)
    assert result.formats == {"anthropic_usage_report"}
    (row,) = rows
    assert row == {
        "event_id": USAGE_EVENT_ID,
        "event_time": datetime(2025, 8, 1), "usage_date": datetime(2025, 8, 1).date(),
        "provider": "anthropic", "platform": "direct", "model_raw": "claude-sonnet-4-20250514",
        "project": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT",
        "user_id": None, "service_tier": "standard", "is_batch": False, "endpoint_scope": None,
        # uncached_input_tokens is already exclusive; the writes exist only as the TTL split.
        "input_tokens": 1500, "cache_read_tokens": 200, "cache_write_5m_tokens": 500, "cache_write_1h_tokens": 1000,
        "output_tokens": 500, "reasoning_tokens": 0,
        "input_audio_tokens": 0, "output_audio_tokens": 0, "input_image_tokens": 0, "output_image_tokens": 0,
        "cache_storage_token_hours": D(0), "hardware": None, "compute_seconds": D(0), "web_search_requests": 10,
        "requests": 0,  # the report counts no requests
        "record_grain": "bucket", "context_tier": "base", "input_unknown": False, "reported_cost_usd": None,
        "source_format": "anthropic_usage_report", "source_file": "usage.jsonl", "source_line": 1,
    }


def test_usage_report_saved_as_a_document_is_streamed_per_bucket_with_the_same_keys(tmp_path: Path) -> None:
    path = tmp_path / "usage.json"
    path.write_bytes(orjson.dumps(USAGE_PAGE, option=orjson.OPT_INDENT_2))
    rows, _, result = parse(path)
    assert rejects(result) == []
    assert [(row["event_id"], row["input_tokens"], row["source_line"]) for row in rows] == [(USAGE_EVENT_ID, 1500, 1)]


def test_usage_report_dimensions_tiers_and_context_windows(tmp_path: Path) -> None:
    record = page(
        bucket("2025-08-01",
               usage_result(None, 100, 0, 0, 0, 10, tier=None, context=None, api_key_id=None, workspace_id=None),
               usage_result("claude-haiku-4-5", 200, 0, 0, 0, 20, tier="batch"),
               usage_result("claude-sonnet-4-5", 300, 0, 0, 0, 30, context="200k-1M", inference_geo="us"),
               usage_result("claude-opus-4-6", 400, 0, 0, 0, 40, tier="priority", speed="fast")),
        bucket("2025-08-02"),
        bucket("2025-08-03", usage_result("claude-sonnet-4-5", 300, 0, 0, 0, 30, context="200k-1M",
                                          inference_geo="global")),
    )
    rows, _, result = parse(write_jsonl(tmp_path / "usage.jsonl", [record]))
    assert rejects(result) == []
    assert result.skipped == 1  # the empty 2025-08-02 bucket
    got = [(r["model_raw"], r["service_tier"], r["is_batch"], r["context_tier"], r["project"], r["api_key_id"],
            r["input_tokens"]) for r in rows]
    assert got == [
        ("unknown (not grouped by model)", "standard", False, None, None, None, 100),
        ("claude-haiku-4-5", "standard", True, "base", "wrkspc_01", "apikey_01", 200),
        ("claude-sonnet-4-5", "standard", False, "long", "wrkspc_01", "apikey_01", 300),
        ("claude-opus-4-6", "fast", False, "base", "wrkspc_01", "apikey_01", 400),
        ("claude-sonnet-4-5", "standard", False, "long", "wrkspc_01", "apikey_01", 300),
    ]
    # Ungrouped dimensions are absent from the key; every grouped one, inference_geo included, is in it.
    assert rows[0]["event_id"] == "anthropic:usage:2025-08-01T00:00:00/2025-08-02T00:00:00:"
    assert rows[2]["event_id"].endswith(";inference_geo=us;model=claude-sonnet-4-5;service_tier=standard;"
                                        "workspace_id=wrkspc_01")
    assert len({row["event_id"] for row in rows}) == 5


def test_a_restated_bucket_keeps_its_key_so_it_replaces_the_first_copy(tmp_path: Path) -> None:
    restated = copy.deepcopy(USAGE_PAGE)
    restated["data"][0]["results"][0]["uncached_input_tokens"] = 2500
    restated["data"][0]["starting_at"] = "2025-08-01T00:00:00+00:00"  # another spelling of the same instant
    rows, _, _ = parse(write_jsonl(tmp_path / "usage.jsonl", [USAGE_PAGE, restated]))
    assert [(row["event_id"], row["input_tokens"]) for row in rows] == [(USAGE_EVENT_ID, 1500),
                                                                          (USAGE_EVENT_ID, 2500)]


def test_usage_report_rejects_name_the_row_and_field(tmp_path: Path) -> None:
    lacking = usage_result("claude-sonnet-4-5", 0, 0, 0, 0, 1)
    del lacking["uncached_input_tokens"]
    lacking["cache_creation_input_tokens"] = 700  # not a field of this report: never read in its place
    record = page(
        bucket("2025-08-01",
               usage_result("claude-sonnet-4-5", 1, 0, 0, 0, 1),
               lacking,
               usage_result("claude-sonnet-4-5", 1, -5, 0, 0, 1),
               usage_result("claude-sonnet-4-5", 1, 0, 0, 0, 1, tier="flex"),
               usage_result("claude-sonnet-4-5", 1, 0, 0, 0, 1, context="1M-2M"),
               "not a row"),
        {"ending_at": "2025-08-03T00:00:00Z", "results": []},
    )
    rows, _, result = parse(write_jsonl(tmp_path / "usage.jsonl", [record]))
    assert len(rows) == 1
    assert rejects(result) == [
        ("data[0].results[1]", "missing field uncached_input_tokens"),
        ("data[0].results[2]", "negative token count in cache_read_input_tokens: -5"),
        ("data[0].results[3]", "unknown service_tier: 'flex'"),
        ("data[0].results[4]", "unknown context_window: '1M-2M'"),
        ("data[0].results[5]", "result is a JSON str, not an object"),
        ("data[1]", "missing field starting_at"),
    ]


def test_a_bare_bucket_with_a_bad_time_is_rejected_whole(tmp_path: Path) -> None:
    good = bucket("2025-08-01", usage_result("claude-sonnet-4-5", 1, 0, 0, 0, 1))
    bad = {**good, "starting_at": 1754006400000}  # milliseconds
    rows, _, result = parse(write_jsonl(tmp_path / "usage.jsonl", [good, bad, bucket("2025-08-02")]))
    assert [row["event_time"] for row in rows] == [datetime(2025, 8, 1)]
    assert result.skipped == 1
    assert [(r.source_line, r.reason) for r in result.rejects] == [
        (2, "field starting_at is not a timestamp: 1754006400000")]


# --- Anthropic Cost Report --------------------------------------------------------------------------------------


def test_cost_report_amounts_are_exact_cents(tmp_path: Path) -> None:
    other = copy.deepcopy(COST_PAGE)
    result_row = other["data"][0]["results"][0]
    result_row.update(amount="0.3333", currency="EUR", cost_type="web_search", token_type=None,
                      description=None, workspace_id=None)
    broken = copy.deepcopy(COST_PAGE)
    broken["data"][0]["results"].append({"amount": "12,50", "currency": "USD"})
    rows, costs, result = parse(write_jsonl(tmp_path / "costs.jsonl", [COST_PAGE, other, broken]))
    assert rows == []
    assert result.formats == {"anthropic_cost_report"}
    assert rejects(result) == [("data[0].results[1]", "field amount is not a decimal string: '12,50'")]
    first = costs[0]
    assert first == {
        "cost_id": "anthropic:cost:2025-08-01T00:00:00/2025-08-02T00:00:00:context_window=0-200k;cost_type=tokens;"
                   "currency=USD;description=Claude Sonnet 4 Usage - Input Tokens, Cache Hit;"
                   "model=claude-sonnet-4-20250514;service_tier=standard;token_type=cache_read_input_tokens;"
                   "workspace_id=wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
        "bucket_start": datetime(2025, 8, 1), "bucket_end": datetime(2025, 8, 2),
        "cost_date": datetime(2025, 8, 1).date(), "provider": "anthropic",
        "project": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "api_key_id": None, "model": "claude-sonnet-4-20250514",
        "line_item": "Claude Sonnet 4 Usage - Input Tokens, Cache Hit", "cost_type": "tokens",
        "token_type": "cache_read_input_tokens", "service_tier": "standard", "quantity": None,
        "quantity_unit": None,
        "amount_original": D("4512.5"), "currency": "USD",
        "amount_usd": D("45.125"),  # 4512.5000 cents
        "source_format": "anthropic_cost_report", "source_file": "costs.jsonl", "source_line": 1,
    }
    # Not dollars: no USD figure is made up for it.
    assert (costs[1]["amount_original"], costs[1]["currency"], costs[1]["amount_usd"]) == (D("0.3333"), "EUR", None)
    assert costs[2]["cost_id"] == first["cost_id"]  # the same row fetched again keeps its key


# --- detection --------------------------------------------------------------------------------------------------

OPENAI_USAGE_BUCKET: Record = {"object": "bucket", "start_time": 1730419200, "end_time": 1730505600,
                               "results": [{"object": "organization.usage.completions.result", "input_tokens": 10,
                                            "output_tokens": 5, "num_model_requests": 1}]}
OTHERS: list[Record] = [CHAT_EXAMPLE, RESPONSES_EXAMPLE, ANTHROPIC_EXAMPLE, GEMINI_EXAMPLE,
                        {"timestamp": "2025-08-01T00:00:00Z", "response": ANTHROPIC_EXAMPLE},
                        OPENAI_USAGE_BUCKET, {"object": "page", "data": [OPENAI_USAGE_BUCKET], "has_more": False},
                        {"object": "page", "data": [], "has_more": False},
                        {"usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3}, "finishReason": "stop"}]


@pytest.mark.parametrize("record", OTHERS)
def test_these_formats_do_not_claim_other_shapes(record: Record) -> None:
    for fmt in (*anthropic_reports.FORMATS, *bedrock.FORMATS):
        assert not fmt.detect(record), fmt.name


@pytest.mark.parametrize(("record", "name"), [
    (USAGE_PAGE, "anthropic_usage_report"), (USAGE_PAGE["data"][0], "anthropic_usage_report"),
    ({"data": [], "has_more": False, "next_page": None}, "anthropic_usage_report"),
    (COST_PAGE, "anthropic_cost_report"), (COST_PAGE["data"][0], "anthropic_cost_report"),
    (INVOCATION_LOG, "bedrock_invocation_log"), (CONVERSE, "bedrock_converse"),
    ({"metadata": {"usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3}, "metrics": {"latencyMs": 9}}},
     "bedrock_converse"),
    ({"contentBlockDelta": {"delta": {"text": SECRET}, "contentBlockIndex": 0}}, "bedrock_converse"),
])
def test_registry_routes_each_shape_here(record: Record, name: str) -> None:
    fmt = registry.detect(record)
    assert fmt is not None and fmt.name == name


# --- Bedrock invocation logs ------------------------------------------------------------------------------------


def test_invocation_log_gzip_maps_the_reference_example(tmp_path: Path) -> None:
    rows, _, result = parse(write_jsonl(tmp_path / "bedrock" / "invocations.json.gz", [INVOCATION_LOG], gz=True))
    assert rejects(result) == []
    (row,) = rows
    assert row == {
        "event_id": "bedrock:0b6f5a2e-7c1d-4e8b-9f3a-2d4c6e8a0b1c",
        "event_time": datetime(2025, 3, 31, 21, 34, 3), "usage_date": datetime(2025, 3, 31).date(),
        "provider": "anthropic", "platform": "bedrock",
        "model_raw": "us.anthropic.claude-sonnet-4-20250514-v1:0",  # as logged: the scope prefix is priced later
        "project": None,  # only a `project` tag is a project; `team` is not
        "api_key_id": "arn:aws:sts::123456789012:assumed-role/MyRole/app", "user_id": None,
        "service_tier": "standard", "is_batch": False, "endpoint_scope": None,
        "input_tokens": 42, "cache_read_tokens": 18000, "cache_write_5m_tokens": 0, "cache_write_1h_tokens": 0,
        "output_tokens": 380, "reasoning_tokens": 0,
        "input_audio_tokens": 0, "output_audio_tokens": 0, "input_image_tokens": 0, "output_image_tokens": 0,
        "cache_storage_token_hours": D(0), "hardware": None, "compute_seconds": D(0),
        "web_search_requests": 0, "requests": 1, "record_grain": "request",
        "context_tier": None, "input_unknown": False, "reported_cost_usd": None,
        "source_format": "bedrock_invocation_log", "source_file": "invocations.json.gz", "source_line": 1,
    }
    assert_no_text(rows, result)


def test_invocation_log_cache_writes_vendors_and_rejects(tmp_path: Path) -> None:
    split = invocation_log("req-split", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 42, 18000, 3000, 380,
                           [{"ttl": "1h", "inputTokens": 1000}, {"ttl": "5m", "inputTokens": 2000}],
                           requestMetadata={"project": "search", "team": "core"})
    unsplit = invocation_log("req-unsplit", "anthropic.claude-3-haiku-20240307-v1:0", 10, 0, 500, 20)
    streamed = invocation_log("req-stream", "meta.llama3-70b-instruct-v1:0", 10, 0, 0, 20)
    streamed["output"]["outputBodyJson"] = [{"generation": SECRET}]  # a stream's chunks: nothing is read from them
    arn = invocation_log("req-arn", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x1y2", 5,
                         0, 0, 5)
    mismatch = invocation_log("req-mismatch", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1, 0, 3000, 1,
                              [{"ttl": "1h", "inputTokens": 1000}])
    in_s3 = invocation_log("req-s3", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1, 0, 0, 1)
    del in_s3["input"]["inputBodyJson"], in_s3["input"]["inputTokenCount"]
    in_s3["input"]["inputBodyS3Path"] = "s3://logs/bodies/req-s3-input.json"
    no_output = invocation_log("req-no-output", "amazon.nova-pro-v1:0", 1, 0, 0, 1)
    del no_output["output"]["outputTokenCount"]
    rows, _, result = parse(write_jsonl(tmp_path / "invocations.jsonl",
                                        [split, unsplit, streamed, arn, mismatch, in_s3, no_output]))
    got = {row["event_id"]: (row["provider"], row["project"], row["input_tokens"], row["cache_write_5m_tokens"],
                             row["cache_write_1h_tokens"]) for row in rows}
    assert got == {
        "bedrock:req-split": ("anthropic", "search", 42, 2000, 1000),
        "bedrock:req-unsplit": ("anthropic", None, 10, 500, 0),  # no TTL split: 5-minute writes
        "bedrock:req-stream": ("meta", None, 10, 0, 0),
        "bedrock:req-arn": ("bedrock", None, 5, 0, 0),  # an application profile does not name its vendor
    }
    assert [(r.source_line, r.reason) for r in result.rejects] == [
        (5, "output.outputBodyJson.usage.cacheDetails splits 1000 cache-write tokens but the write count is 3000"),
        (6, "missing field input.inputTokenCount (the input body went to S3 and the log carries no token count)"),
        (7, "missing field output.outputTokenCount"),
    ]
    assert_no_text(rows, result)


@pytest.mark.parametrize(("model_id", "vendor"), [
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic"),
    ("eu.meta.llama3-2-3b-instruct-v1:0", "meta"),
    ("amazon.nova-pro-v1:0", "amazon"),
    ("arn:aws:bedrock:us-east-1::foundation-model/mistral.mistral-large-2402-v1:0", "mistral"),
    ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/apac.amazon.nova-lite-v1:0", "amazon"),
    ("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123", "bedrock"),
    ("acme.custom-model-v1:0", "bedrock"),
])
def test_vendor_from_the_model_id(model_id: str, vendor: str) -> None:
    assert bedrock.vendor(model_id) == vendor


# --- Bedrock Converse / ConverseStream --------------------------------------------------------------------------


def test_converse_response_in_an_envelope(tmp_path: Path) -> None:
    model = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    rows, _, result = parse(write_jsonl(tmp_path / "converse.jsonl", [bedrock_envelope(CONVERSE, model)]))
    assert rejects(result) == []
    (row,) = rows
    assert {key: row[key] for key in ("event_id", "event_time", "provider", "platform", "model_raw", "project",
                                      "input_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                                      "cache_write_1h_tokens", "output_tokens", "service_tier",
                                      "source_format")} == {
        "event_id": "bedrock:5d8e7b3c-1f2a-4c6d-8e9f-0a1b2c3d4e5f", "event_time": datetime(2026, 3, 10, 12),
        "provider": "bedrock", "platform": "bedrock", "model_raw": model, "project": "proj",
        # 12 + 310 + 5100 = 5422 = totalTokens: the input excludes the cache read, as documented
        "input_tokens": 12, "cache_read_tokens": 5100, "cache_write_5m_tokens": 0, "cache_write_1h_tokens": 0,
        "output_tokens": 310, "service_tier": "standard", "source_format": "bedrock_converse",
    }
    assert_no_text(rows, result)


def test_converse_stream_events_totals_tiers_and_rejects(tmp_path: Path) -> None:
    model = "openai.gpt-oss-120b-1:0"
    usage = {"inputTokens": 4995, "outputTokens": 19, "totalTokens": 5014, "cacheReadInputTokens": 0,
             "cacheWriteInputTokens": 4993}
    metadata = {"metadata": {"usage": usage, "metrics": {"latencyMs": 800}, "serviceTier": {"type": "flex"}}}
    consistent = {"metadata": {"usage": {**usage, "totalTokens": 10007}, "metrics": {"latencyMs": 800}}}
    split = converse("req-split", 12, 310, 5100, 3000, [{"ttl": "1h", "inputTokens": 2000},
                                                        {"ttl": "5m", "inputTokens": 1000}])
    priority = converse("req-priority", 10, 10)
    priority["serviceTier"] = {"type": "priority"}
    reserved = converse("req-reserved", 10, 10)
    reserved["serviceTier"] = {"type": "reserved"}
    bad_ttl = converse("req-bad-ttl", 10, 10, 0, 5, [{"ttl": "24h", "inputTokens": 5}])
    records = [
        bedrock_envelope({"messageStart": {"role": "assistant"}}, model),
        bedrock_envelope({"contentBlockDelta": {"delta": {"text": SECRET}, "contentBlockIndex": 0}}, model),
        bedrock_envelope({"messageStop": {"stopReason": "end_turn"}}, model),
        bedrock_envelope(metadata, model),
        bedrock_envelope(consistent, model),
        bedrock_envelope(split, "global.anthropic.claude-haiku-4-5-20251001-v1:0"),
        bedrock_envelope(priority, model),
        bedrock_envelope(reserved, model),
        bedrock_envelope(bad_ttl, model),
        bedrock_envelope(converse("req-wrong-provider", 1, 1), model, provider="anthropic"),
        converse("req-bare", 1, 1),
        {"timestamp": "2026-03-10T12:00:00Z", "response": converse("req-no-model", 1, 1)},
    ]
    rows, _, result = parse(write_jsonl(tmp_path / "stream.jsonl", records))
    assert result.skipped == 3
    got = [(row["input_tokens"], row["cache_write_5m_tokens"], row["cache_write_1h_tokens"], row["output_tokens"],
            row["service_tier"]) for row in rows]
    assert got == [
        # total 5014 = 4995 + 19: the input already held the 4993 written tokens, 4995 - 4993 = 2 uncached
        (2, 4993, 0, 19, "flex"),
        # total 10007 = 4995 + 19 + 4993 agrees with the documented sum: trusted as it stands
        (4995, 4993, 0, 19, "standard"),
        (12, 1000, 2000, 310, "standard"),
        (10, 0, 0, 10, "priority"),
    ]
    assert [(r.source_line, r.reason) for r in result.rejects] == [
        (8, "serviceTier.type 'reserved' has no per-token list price (expected default, priority or flex)"),
        (9, "usage.cacheDetails[0].ttl is not one of 5m, 1h: '24h'"),
        (10, "envelope provider 'anthropic' does not match a bedrock_converse record"),
        (11, "no timestamp: the record has none and no envelope `timestamp` was given"),
        (12, "missing field model: the record names none; give the envelope a `model`"),
    ]
    assert_no_text(rows, result)


# --- one pipeline run: costs by hand ----------------------------------------------------------------------------

EXPECTED: dict[str, tuple[str, Decimal | None]] = {
    # sonnet-4.5 (2026-03-10, before the 1M beta ended): 1500 x 3 + 200 x 0.30 + 500 x 3.75 (5m) + 1000 x 6 (1h)
    # + 500 x 15 = 4500 + 60 + 1875 + 6000 + 7500 = 19935 per 1M = 0.019935, + 10 searches x $10/1000 = 0.10
    "sonnet": ("priced", D("0.119935")),
    # haiku-4.5 batch halves every class: 10000 x 0.50 + 20000 x 0.05 + 4000 x 0.625 + 3000 x 2.50
    # = 5000 + 1000 + 2500 + 7500 = 16000 per 1M
    "haiku_batch": ("priced", D("0.016")),
    # sonnet-4.5 "200k-1M": the whole bucket at the >200k rates, 300000 x 6 + 100000 x 0.60 + 2000 x 22.50
    # = 1800000 + 60000 + 45000 = 1905000 per 1M
    "sonnet_long": ("priced", D("1.905")),
    # not grouped by model: visible, never $0
    "ungrouped": ("unpriced_model", None),
    # bedrock anthropic.claude-sonnet-4-5 through a `us.` (geo) profile: base x 1.1 = 3.3 / 0.33 / 4.125 (5m) /
    # 6.6 (1h) / 16.5: 42 x 3.3 + 18000 x 0.33 + 2000 x 4.125 + 1000 x 6.6 + 380 x 16.5
    # = 138.6 + 5940 + 8250 + 6600 + 6270 = 27198.6 per 1M
    "bedrock:req-log-us": ("priced", D("0.0271986")),
    # bedrock anthropic.claude-haiku-4-5 through `global.`: the base rates 1 / 0.1 / 1.25 (5m) / 2 (1h) / 5:
    # 12 x 1 + 5100 x 0.1 + 1000 x 1.25 + 2000 x 2 + 310 x 5 = 12 + 510 + 1250 + 4000 + 1550 = 7322 per 1M
    "bedrock:req-converse-global": ("priced", D("0.007322")),
    # the restated 2026-03-11 bucket only: 2000 x 3 + 300 x 15 = 10500 per 1M (the first copy, 1000 x 3 + 100 x 15,
    # must not be added)
    "restated": ("priced", D("0.0105")),
}
FIRST_COPY = page(bucket("2026-03-11", usage_result("claude-sonnet-4-5-20250929", 1000, 0, 0, 0, 100)))
RESTATED = page(bucket("2026-03-11", usage_result("claude-sonnet-4-5-20250929", 2000, 0, 0, 0, 300)))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("anthropic_bedrock"))
    landing = settings.landing
    write_jsonl(landing / "anthropic" / "usage_2026-03-10.jsonl", [page(bucket(
        "2026-03-10",
        usage_result("claude-sonnet-4-5-20250929", 1500, 200, 500, 1000, 500, web=10),
        usage_result("claude-haiku-4-5", 10000, 20000, 4000, 0, 3000, tier="batch"),
        usage_result("claude-sonnet-4-5", 300000, 100000, 0, 0, 2000, context="200k-1M"),
        usage_result(None, 5000, 0, 0, 0, 500, context=None),
    ))])
    write_jsonl(landing / "anthropic" / "usage_2026-03-11.jsonl", [FIRST_COPY])
    write_jsonl(landing / "anthropic" / "costs.jsonl", [COST_PAGE])
    write_jsonl(landing / "bedrock" / "invocations.json.gz", [invocation_log(
        "req-log-us", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 42, 18000, 3000, 380,
        [{"ttl": "1h", "inputTokens": 1000}, {"ttl": "5m", "inputTokens": 2000}])], gz=True)
    write_jsonl(landing / "bedrock" / "converse.jsonl", [bedrock_envelope(
        converse("req-converse-global", 12, 310, 5100, 3000, [{"ttl": "1h", "inputTokens": 2000},
                                                             {"ttl": "5m", "inputTokens": 1000}]),
        "global.anthropic.claude-haiku-4-5-20251001-v1:0")])
    run_pipeline(settings)
    # The report restates 2026-03-11 on a later fetch; a bucket's latest load wins, so it needs a second load.
    write_jsonl(landing / "anthropic" / "usage_2026-03-11_refetched.jsonl", [RESTATED])
    run_pipeline(settings)
    return settings


def _label(event_id: str, model_raw: str) -> str:
    """The EXPECTED key of a priced row."""
    if event_id.startswith("bedrock:"):
        return event_id
    if event_id.startswith("anthropic:usage:2026-03-11"):
        return "restated"
    if model_raw.startswith("unknown"):
        return "ungrouped"
    return {"claude-haiku-4-5": "haiku_batch"}.get(model_raw, "sonnet_long" if "200k-1M" in event_id else "sonnet")


def test_costs_match_the_hand_computed_figures(settings: Settings) -> None:
    rows = read(settings, "SELECT event_id, model_raw, cost_status, list_cost_usd FROM core.usage_priced")
    priced = {_label(event_id, raw): (status, cost) for event_id, raw, status, cost in rows}
    assert len(rows) == len(priced)
    assert priced == EXPECTED


def test_bedrock_rows_price_in_the_bedrock_catalogue_at_their_scope(settings: Settings) -> None:
    rows = read(settings, "SELECT event_id, provider, price_provider, model, endpoint_scope FROM core.usage_priced"
                          " WHERE platform = 'bedrock' ORDER BY event_id")
    assert rows == [
        ("bedrock:req-converse-global", "bedrock", "bedrock", "anthropic.claude-haiku-4-5", "global"),
        ("bedrock:req-log-us", "anthropic", "bedrock", "anthropic.claude-sonnet-4-5", "geo"),
    ]


def test_a_restated_bucket_loaded_later_replaces_the_first(settings: Settings) -> None:
    (first, later), = read(settings, """
        SELECT max(loaded_at) FILTER (WHERE source_file LIKE '%usage_2026-03-11.jsonl'),
               max(loaded_at) FILTER (WHERE source_file LIKE '%refetched.jsonl')
        FROM raw.file_ledger""")
    assert later > first
    (staged,), = read(settings, "SELECT count(*) FROM staging.usage_records WHERE usage_date = '2026-03-11'")
    assert staged == 2  # both copies are kept as loaded; only one is counted
    (inputs, outputs, cost), = read(settings, "SELECT sum(input_tokens), sum(output_tokens), sum(list_cost_usd)"
                                              " FROM core.usage_priced WHERE usage_date = '2026-03-11'")
    assert (inputs, outputs, cost) == (2000, 300, D("0.0105"))


def test_cost_report_rows_are_stored_exactly(settings: Settings) -> None:
    rows = read(settings, "SELECT provider, amount_original, currency, amount_usd, line_item, project"
                          " FROM staging.reported_costs")
    assert rows == [("anthropic", D("4512.5"), "USD", D("45.125"), "Claude Sonnet 4 Usage - Input Tokens, Cache Hit",
                     "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")]


def test_nothing_was_rejected_and_no_text_reached_the_warehouse(settings: Settings) -> None:
    assert read(settings, "SELECT source_file, reason FROM raw.rejects") == []
    assert SECRET.encode() not in settings.warehouse.read_bytes()
