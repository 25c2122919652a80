"""xAI (Grok), Cerebras, SambaNova, SGLang and TGI: content-detected, mapped to exclusive token buckets, priced.

The first three are paid APIs priced from pricing/xai.yaml, cerebras.yaml and sambanova.yaml (USD per 1M tokens);
SGLang and TGI are self-hosted servers that stay unpriced, like vLLM and Ollama. Each fixture follows the shape its
cited source shows (message text replaced by SECRET, which must never reach the warehouse); rows come from
`parse_file` on real files and costs from one real pipeline run, worked out by hand to the micro-dollar.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest.parse import FileResult
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import buckets, make_settings, parse_records, read, reasons, write_jsonl

Record = dict[str, Any]
D = Decimal
SHA = "ef" * 32
FILE_KEY = "efefefefefefefef"
SECRET = "SECRET-TEXT: the quarterly forecast we must not leak"

T_2026_10_07_12H = 1791374400  # 2026-10-07 12:00:00 UTC


def env(response: Record, timestamp: str = "2026-10-07T12:00:00Z", **extra: Any) -> Record:
    return {"timestamp": timestamp, "project": "proj", **extra, "response": copy.deepcopy(response)}


def parse(tmp_path: Path, name: str, records: list[Record]) -> tuple[list[Record], FileResult]:
    return parse_records(tmp_path, name, records, SHA)


# --- xAI ------------------------------------------------------------------------------------------------------

def xai_stream() -> list[Record]:
    """A recorded xAI stream with include_usage (charmbracelet/fantasy,
    providertests/testdata/TestXAICommon/xai-grok-code-fast/simple_streaming.yaml): chunks without a `usage` key, then
    one with `choices: []` and the usage, where total_tokens 373 = 213 prompt + 27 completion + 133 reasoning."""
    base = {"id": "da8e02b5-c40e-2b4b-33ec-f867d1ba3d3e_us-east-1", "object": "chat.completion.chunk",
            "created": 1761231382, "model": "grok-code-fast-1", "system_fingerprint": "fp_10f00c862d"}
    return [
        {**base, "choices": [{"index": 0, "delta": {"reasoning_content": SECRET, "role": "assistant"}}]},
        {**base, "created": 1761231384, "choices": [{"index": 0, "delta": {"content": SECRET}}]},
        {**base, "created": 1761231384, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**base, "created": 1761231384, "choices": [],
         "usage": {"prompt_tokens": 213, "completion_tokens": 27, "total_tokens": 373,
                   "prompt_tokens_details": {"text_tokens": 213, "audio_tokens": 0, "image_tokens": 0,
                                             "cached_tokens": 192},
                   "completion_tokens_details": {"reasoning_tokens": 133, "audio_tokens": 0,
                                                 "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
                   "num_sources_used": 0}},
    ]


# xAI's usage object as Google documents it for Grok (docs.cloud.google.com/vertex-ai/generative-ai/docs/
# partner-models/grok/capabilities/reasoning: "reasoning_tokens ... separated from the completion_tokens", total 837 =
# 663 + 50 + 124), here from xAI's own API: its model id, and cost_in_usd_ticks carrying the charge
# (docs.x.ai/developers/cost-tracking: 1 USD = 10^10 ticks; 0.0001215 USD = 1,215,000 ticks).
XAI_REASONING: Record = {
    "id": "3f1c2a7e-5b0d-4e8f-9a61-2c7d8e9f0a1b", "object": "chat.completion", "created": 1775523905,
    "model": "grok-4-1-fast-reasoning", "system_fingerprint": "fp_39c5j0a324",
    "choices": [{"finish_reason": "stop", "index": 0, "logprobs": None,
                 "message": {"content": SECRET, "role": "assistant"}}],
    "usage": {"completion_tokens": 50,
              "completion_tokens_details": {"accepted_prediction_tokens": 0, "audio_tokens": 0,
                                            "reasoning_tokens": 124, "rejected_prediction_tokens": 0},
              "cost_in_usd_ticks": 1215000, "num_sources_used": 0, "prompt_tokens": 663,
              "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 654, "image_tokens": 0,
                                        "text_tokens": 663},
              "total_tokens": 837},
}
# The same object verbatim from Google's page: Vertex's `xai/` model id and 0 ticks (Google bills it, not xAI).
XAI_ON_VERTEX: Record = {**XAI_REASONING, "id": "knTMaJC0EJfM5OMP7I3xkAk", "model": "xai/grok-4.1-fast-reasoning",
                         "usage": {**XAI_REASONING["usage"], "cost_in_usd_ticks": 0}}
# A gateway relaying Grok with reasoning folded into completion_tokens, total 809 = 686 + 123
# (doc.302.ai/api-263332597).
XAI_FOLDED: Record = {
    "id": "40cf0d65-1ae0-8cb2-a93f-3770dd899ab0", "object": "chat.completion", "created": 1769417288,
    "model": "grok-4", "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET},
                                    "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 686, "completion_tokens": 123, "total_tokens": 809,
              "prompt_tokens_details": {"cached_tokens": 679, "text_tokens": 686, "audio_tokens": 0,
                                        "image_tokens": 0},
              "completion_tokens_details": {"text_tokens": 11, "audio_tokens": 0, "reasoning_tokens": 112}},
    "system_fingerprint": "fp_dd0aa291c6",
}


# --- Cerebras -------------------------------------------------------------------------------------------------

# inference-docs.cerebras.ai/api-reference/chat-completions (current example): OpenAI's usage plus a top-level
# `time_info` of seconds.
CEREBRAS: Record = {
    "id": "chatcmpl-30b3c3d8-ca41-48e7-9ef0-27e322604a13",
    "choices": [{"finish_reason": "stop", "index": 0,
                 "message": {"role": "assistant", "content": SECRET, "reasoning": SECRET, "tool_calls": None},
                 "logprobs": None, "reasoning_logprobs": None}],
    "created": 1769729480, "model": "gpt-oss-120b", "object": "chat.completion",
    "system_fingerprint": "fp_e7ab83753cbd28777b40",
    "time_info": {"completion_time": 0.04040406, "prompt_time": 0.00383762, "queue_time": 0.004628115,
                  "total_time": 0.05013155937194824, "created": 1769729480.0787008},
    "usage": {"completion_tokens": 59,
              "completion_tokens_details": {"accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
                                            "reasoning_tokens": 0},
              "prompt_tokens": 69, "prompt_tokens_details": {"cached_tokens": 0}, "total_tokens": 128},
    "service_tier": None,
}
# The same page's older example, dated 2024-08-15: before any evidenced gpt-oss-120b price on Cerebras.
CEREBRAS_2024: Record = {
    "id": "chatcmpl-292e278f-514e-4186-9010-91ce6a14168b",
    "choices": [{"finish_reason": "stop", "index": 0,
                 "message": {"content": SECRET, "reasoning": SECRET, "role": "assistant"}}],
    "created": 1723733419, "model": "gpt-oss-120b", "system_fingerprint": "fp_70185065a4",
    "object": "chat.completion",
    "usage": {"prompt_tokens": 12, "completion_tokens": 10, "total_tokens": 22,
              "prompt_tokens_details": {"cached_tokens": 0},
              "completion_tokens_details": {"accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    "time_info": {"queue_time": 0.000073161, "prompt_time": 0.0010744798888888889,
                  "completion_time": 0.005658071111111111, "total_time": 0.022224903106689453,
                  "created": 1723733419},
}
# A prompt-cache hit (inference-docs.cerebras.ai/capabilities/prompt-caching reports it in
# prompt_tokens_details.cached_tokens); no cached-input rate is published, so the row must show as unpriced_unit.
CEREBRAS_CACHED: Record = {**copy.deepcopy(CEREBRAS), "id": "chatcmpl-cerebras-glm-cache", "model": "zai-glm-4.7",
                           "created": T_2026_10_07_12H,
                           "usage": {"completion_tokens": 200, "prompt_tokens": 1500, "total_tokens": 1700,
                                     "prompt_tokens_details": {"cached_tokens": 1024}}}


def cerebras_stream(rid: str) -> list[Record]:
    """Cerebras-cloud-sdk-python types/chat/completion_create_response.py `ChatChunkResponse`: `usage` and
    `time_info` are optional and arrive on the last chunk."""
    base = {"id": rid, "object": "chat.completion.chunk", "created": T_2026_10_07_12H, "model": "qwen-3.8-27b",
            "system_fingerprint": "fp_e7ab83753cbd28777b40"}
    return [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": SECRET}}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 400, "completion_tokens": 250, "total_tokens": 650,
                   "completion_tokens_details": {"reasoning_tokens": 180}},
         "time_info": {"queue_time": 0.0003, "prompt_time": 0.002, "completion_time": 0.1, "total_time": 0.11,
                       "created": T_2026_10_07_12H}},
    ]


# --- SambaNova ------------------------------------------------------------------------------------------------

# sambanova-python src/sambanova/types/chat/chat_completion_response.py (`Usage` with timing fields,
# `is_last_response`, float `created`), in the shape of real responses (system_fingerprint "fastcoe",
# e.g. discourse/discourse-ai spec/lib/completions/endpoints/samba_nova_spec.rb).
SAMBANOVA: Record = {
    "choices": [{"finish_reason": "stop", "index": 0, "logprobs": None,
                 "message": {"content": SECRET, "role": "assistant"}}],
    "created": 1791374400.0717163, "id": "50600e8c-3292-4f91-bbe1-e227f62a9b7a",
    "model": "Meta-Llama-3.3-70B-Instruct", "object": "chat.completion", "system_fingerprint": "fastcoe",
    "usage": {"completion_tokens": 300, "completion_tokens_after_first_per_sec": 237.36731761339138,
              "completion_tokens_after_first_per_sec_first_ten": 237.6211986794456,
              "completion_tokens_per_sec": 231.28144871036608, "end_time": 1791374401.371653,
              "is_last_response": True, "prompt_tokens": 1200, "start_time": 1791374400.0134355,
              "stop_reason": "stop", "time_to_first_token": 0.13646459579467773,
              "total_latency": 1.358217430114746, "total_tokens": 1500, "total_tokens_per_sec": 1104.4},
}
# The SDK's UsagePromptTokensDetails.cached_tokens on MiniMax-M3, the one model with a published cached rate.
SAMBANOVA_CACHED: Record = {
    **copy.deepcopy(SAMBANOVA), "id": "b7d1e0f2-4c3a-4e5b-8f6a-9d0c1b2a3e4f", "model": "MiniMax-M3",
    "usage": {"completion_tokens": 250, "is_last_response": True, "prompt_tokens": 5000,
              "prompt_tokens_details": {"cached_tokens": 4096}, "time_to_first_token": 0.41, "total_latency": 2.9,
              "total_tokens": 5250, "total_tokens_per_sec": 1810.3},
}


def sambanova_stream(rid: str) -> list[Record]:
    """discourse/discourse-ai spec/lib/completions/endpoints/samba_nova_spec.rb: content chunks, then a chunk with
    `choices: []` and the usage."""
    base = {"id": rid, "object": "chat.completion.chunk", "created": T_2026_10_07_12H, "model": "gpt-oss-120b",
            "system_fingerprint": "fastcoe"}
    return [
        {**base, "choices": [{"index": 0, "delta": {"content": SECRET}, "logprobs": None, "finish_reason": None}]},
        {**base, "choices": [], "usage": {
            "is_last_response": True, "total_tokens": 62, "prompt_tokens": 21, "completion_tokens": 41,
            "time_to_first_token": 0.09152531623840332, "end_time": 1791374400.582011,
            "start_time": 1791374400.413994, "total_latency": 0.16801691055297852,
            "total_tokens_per_sec": 369.010475171488, "completion_tokens_per_sec": 244.02305616179046,
            "completion_tokens_after_first_per_sec": 522.9332759819093,
            "completion_tokens_after_first_per_sec_first_ten": 1016.0004844667837}},
    ]


# --- SGLang ---------------------------------------------------------------------------------------------------

# sgl-project/sglang python/sglang/srt/entrypoints/openai/protocol.py (`ChatCompletionResponse`, `UsageInfo` with a
# top-level reasoning_tokens; prompt_tokens_details only with --enable-cache-report) and usage_processor.py
# (total_tokens = prompt + completion, so reasoning sits inside completion).
SGLANG_CHAT: Record = {
    "id": "7c2f0d8e4b8a4f5c9d1e2a3b4c5d6e7f", "object": "chat.completion", "created": T_2026_10_07_12H,
    "model": "Qwen/Qwen3-32B",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET, "reasoning_content": SECRET,
                                         "tool_calls": None},
                 "logprobs": None, "finish_reason": "stop", "matched_stop": 151645}],
    "usage": {"prompt_tokens": 1000, "total_tokens": 1600, "completion_tokens": 600,
              "prompt_tokens_details": {"cached_tokens": 768}, "reasoning_tokens": 450},
    "metadata": {"weight_version": "default"},
}


def sglang_stream(rid: str) -> list[Record]:
    """protocol.py `ChatCompletionStreamResponse` with stream_options.include_usage: `usage` null until a last chunk
    with `choices: []`."""
    base = {"id": rid, "object": "chat.completion.chunk", "created": T_2026_10_07_12H, "model": "Qwen/Qwen3-32B"}
    return [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": SECRET}, "logprobs": None,
                              "finish_reason": None, "matched_stop": None}], "usage": None},
        {**base, "choices": [], "usage": {"prompt_tokens": 50, "total_tokens": 90, "completion_tokens": 40,
                                          "prompt_tokens_details": None, "reasoning_tokens": 0}},
    ]


def sglang_native(rid: str, completion: int, finish: Record | None) -> Record:
    """SGLang's native /generate output (python/sglang/srt/managers/tokenizer_manager.py `_handle_batch_output`):
    text, output ids and `meta_info` with the request id and cumulative counts; cached_tokens is the prefix-cache
    hit, a subset of prompt_tokens."""
    return {"text": SECRET, "output_ids": [791, 6460, 315],
            "meta_info": {"id": rid, "finish_reason": finish, "prompt_tokens": 7, "weight_version": "default",
                          "reasoning_tokens": 0, "completion_tokens": completion, "cached_tokens": 5,
                          "e2e_latency": 0.21}}


# --- TGI ------------------------------------------------------------------------------------------------------

# huggingface/text-generation-inference integration-tests/models/__snapshots__/test_chat_llama/
# test_flash_llama_simple.json: a TGI 2.0 chat answer, `"id": ""`, `"object": "text_completion"` and the
# "<version>-native" fingerprint (router/src/server.rs formats it from the docker label, else "native").
TGI_CHAT: Record = {
    "choices": [{"finish_reason": "length", "index": 0, "logprobs": None,
                 "message": {"content": SECRET, "name": None, "role": "assistant", "tool_calls": None},
                 "usage": None}],
    "created": 1716553098, "id": "", "model": "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "object": "text_completion",
    "system_fingerprint": "2.0.5-dev0-native",
    "usage": {"completion_tokens": 100, "prompt_tokens": 62, "total_tokens": 162},
}


def tgi_stream() -> list[Record]:
    """integration-tests/models/__snapshots__/test_completion_prompts/test_chat_openai_usage.json (TGI 3.1): every
    chunk `"id": ""` and `usage: null` but the last, which has `choices: []`."""
    base = {"created": 1741265133, "id": "", "model": "meta-llama/Llama-3.1-8B-Instruct",
            "object": "chat.completion.chunk", "service_tier": None, "system_fingerprint": "3.1.2-dev0-native"}
    delta = {"function_call": None, "refusal": None, "role": "assistant", "tool_calls": None}
    return [
        {**base, "choices": [{"delta": {**delta, "content": SECRET}, "finish_reason": None, "index": 0,
                              "logprobs": None}], "usage": None},
        {**base, "choices": [{"delta": {**delta, "content": ""}, "finish_reason": "stop", "index": 0,
                              "logprobs": None}], "usage": None},
        {**base, "choices": [], "usage": {"completion_tokens": 3, "completion_tokens_details": None,
                                          "prompt_tokens": 39, "prompt_tokens_details": None, "total_tokens": 42}},
    ]


# integration-tests/models/__snapshots__/test_flash_llama/test_flash_llama.json: native /generate with
# decoder_input_details, so `prefill` has one entry per prompt token (3) beside `generated_tokens` (10).
TGI_GENERATE: Record = {
    "details": {"best_of_sequences": None, "finish_reason": "length", "generated_tokens": 10,
                "prefill": [{"id": 1, "logprob": None, "text": SECRET},
                            {"id": 4321, "logprob": -8.6875, "text": SECRET},
                            {"id": 2009, "logprob": -11.546875, "text": SECRET}],
                "seed": None,
                "tokens": [{"id": 363, "logprob": -1.5351562, "special": False, "text": SECRET}],
                "top_tokens": None},
    "generated_text": SECRET,
}
# The same without decoder_input_details: TGI leaves `prefill` empty, so the prompt count is unknown.
TGI_GENERATE_NO_PREFILL: Record = {**TGI_GENERATE, "details": {**TGI_GENERATE["details"], "prefill": []}}


def tgi_generate_stream() -> list[Record]:
    """router/src/server.rs generate_stream: `details: null` on every event but the last, whose `StreamDetails`
    carries finish_reason, generated_tokens, seed and input_length (router/src/lib.rs)."""
    token = {"id": 363, "logprob": -1.5351562, "special": False, "text": SECRET}
    return [
        {"index": 1, "token": token, "generated_text": None, "details": None},
        {"index": 2, "token": token, "generated_text": SECRET,
         "details": {"finish_reason": "eos_token", "generated_tokens": 2, "seed": None, "input_length": 17}},
    ]


# --- mapping, file by file ----------------------------------------------------------------------------------


def test_xai_reasoning_beside_completion_cached_and_reported_ticks(tmp_path: Path) -> None:
    rows, result = parse(tmp_path, "xai.jsonl", [*xai_stream(), XAI_REASONING, XAI_ON_VERTEX, XAI_FOLDED])
    assert result.rejects == []
    assert result.skipped == 3  # the stream's reasoning, content and finish chunks
    stream, reasoning, vertex, folded = rows
    assert (stream["event_id"], stream["platform"], stream["record_grain"]) == (
        "openai:da8e02b5-c40e-2b4b-33ec-f867d1ba3d3e_us-east-1", "xai", "chunk")
    assert stream["model_raw"] == "grok-code-fast-1"
    # 213 prompt - 192 cached = 21; output 27 completion + 133 reasoning beside it = 160
    assert buckets(stream) == (21, 192, 0, 160, 133)
    assert stream["reported_cost_usd"] is None  # this 2025 recording has no cost_in_usd_ticks
    # 663 - 654 = 9 uncached; 50 + 124 = 174 output; 1,215,000 ticks / 10^10 = 0.0001215 USD
    assert (reasoning["platform"], buckets(reasoning)) == ("xai", (9, 654, 0, 174, 124))
    assert reasoning["reported_cost_usd"] == D("0.0001215")
    assert reasoning["event_time"] == datetime(2026, 4, 7, 1, 5, 5)
    # On Vertex: the same counts, but the 0 ticks are not xAI's charge
    assert (vertex["platform"], buckets(vertex), vertex["reported_cost_usd"]) == (
        "vertex", (9, 654, 0, 174, 124), None)
    # total 809 = 686 + 123: reasoning (112) already inside completion; 686 - 679 = 7 uncached
    assert (folded["platform"], buckets(folded)) == ("xai", (7, 679, 0, 123, 112))


def test_cerebras_time_info_marks_the_host(tmp_path: Path) -> None:
    rows, result = parse(tmp_path, "cerebras.jsonl", [CEREBRAS, CEREBRAS_CACHED, *cerebras_stream("chatcmpl-cb-s")])
    assert result.rejects == []
    assert result.skipped == 1
    doc, cached, stream = rows
    # time_info's seconds are not counts: 69 in, 59 out
    assert (doc["event_id"], doc["platform"], buckets(doc)) == (
        "openai:chatcmpl-30b3c3d8-ca41-48e7-9ef0-27e322604a13", "cerebras", (69, 0, 0, 59, 0))
    assert doc["event_time"] == datetime(2026, 1, 29, 23, 31, 20)
    # 1500 prompt - 1024 cached = 476
    assert (cached["platform"], buckets(cached)) == ("cerebras", (476, 1024, 0, 200, 0))
    # the stream's last chunk, reasoning inside completion (OpenAI's convention): 250 out of which 180 reasoning
    assert (stream["platform"], stream["record_grain"], buckets(stream)) == ("cerebras", "chunk", (400, 0, 0, 250, 180))


def test_sambanova_timing_fields_mark_the_host(tmp_path: Path) -> None:
    rows, result = parse(tmp_path, "sambanova.jsonl", [SAMBANOVA, SAMBANOVA_CACHED, *sambanova_stream("sn-s")])
    assert result.rejects == []
    assert result.skipped == 1
    llama, minimax, stream = rows
    assert (llama["event_id"], llama["platform"], llama["model_raw"]) == (
        "openai:50600e8c-3292-4f91-bbe1-e227f62a9b7a", "sambanova", "Meta-Llama-3.3-70B-Instruct")
    # a float `created`: 1791374400.0717163 is 2026-10-07 12:00:00.071716
    assert llama["event_time"] == datetime(2026, 10, 7, 12, 0, 0, 71716)
    # speeds, latencies and is_last_response are not counts
    assert buckets(llama) == (1200, 0, 0, 300, 0)
    # 5000 prompt - 4096 cached = 904
    assert buckets(minimax) == (904, 4096, 0, 250, 0)
    assert (stream["platform"], stream["record_grain"], buckets(stream)) == ("sambanova", "chunk", (21, 0, 0, 41, 0))


def test_sglang_chat_stream_and_native_generate(tmp_path: Path) -> None:
    native_stream = [env(sglang_native("rid-stream", done, None), model="Qwen/Qwen3-32B") for done in (1, 2)]
    final = env(sglang_native("rid-stream", 3, {"type": "stop", "matched": 151645}), model="Qwen/Qwen3-32B")
    rows, result = parse(tmp_path, "sglang.jsonl", [
        SGLANG_CHAT, *sglang_stream("sg-stream"), *native_stream, final,
        sglang_native("rid-no-envelope", 3, {"type": "stop"}),
        env({"text": SECRET, "meta_info": {"id": "rid-bad", "prompt_tokens": 3, "cached_tokens": 9}},
            model="Qwen/Qwen3-32B"),
    ])
    chat, stream, chunk1, chunk2, native = rows
    # 1000 prompt - 768 cached = 232; reasoning 450 is usage.reasoning_tokens, inside the 600 completion tokens
    assert (chat["event_id"], chat["platform"], chat["provider"], buckets(chat)) == (
        "openai:7c2f0d8e4b8a4f5c9d1e2a3b4c5d6e7f", "sglang", "openai", (232, 768, 0, 600, 450))
    assert (stream["platform"], stream["record_grain"], buckets(stream)) == ("sglang", "chunk", (50, 0, 0, 40, 0))
    # native: provider and platform sglang, keyed by the request id; 7 prompt - 5 cached = 2
    assert {(row["event_id"], row["provider"], row["platform"]) for row in (chunk1, chunk2, native)} == {
        ("sglang:rid-stream", "sglang", "sglang")}
    assert [(row["record_grain"], row["output_tokens"]) for row in (chunk1, chunk2, native)] == [
        ("chunk", 1), ("chunk", 2), ("request", 3)]
    assert buckets(native) == (2, 5, 0, 3, 0)
    assert reasons(result) == [
        (7, "no timestamp: the record has none and no envelope `timestamp` was given"),
        (8, "negative token count in input: meta_info.prompt_tokens (3) is less than meta_info.cached_tokens (9)"),
    ]


def test_tgi_chat_stream_and_native_generate(tmp_path: Path) -> None:
    # An official image labels the fingerprint with its commit (router/src/server.rs); "/repository" is an Inference
    # Endpoint's model path.
    docker = {**TGI_CHAT, "object": "chat.completion", "model": "/repository",
              "system_fingerprint": "3.2.3-sha-a1f3ebe"}
    rows, result = parse(tmp_path, "tgi.jsonl", [
        TGI_CHAT, docker, *tgi_stream(),
        env(TGI_GENERATE, model="meta-llama/Llama-2-7b-hf"),
        env(TGI_GENERATE_NO_PREFILL, model="meta-llama/Llama-2-7b-hf"),
        *[env(event, model="meta-llama/Llama-2-7b-hf") for event in tgi_generate_stream()],
        env({"generated_text": SECRET, "details": None}, model="meta-llama/Llama-2-7b-hf"),
    ])
    assert result.skipped == 3  # two chat stream chunks and one /generate_stream event without usage
    chat, dockered, stream, generate, no_prefill, generate_stream = rows
    # TGI's id is always "": each row is keyed by its file and line
    assert [row["event_id"] for row in (chat, dockered, stream)] == [
        f"openai:{FILE_KEY}:1", f"openai:{FILE_KEY}:2", f"openai:{FILE_KEY}:5"]
    assert {row["platform"] for row in (chat, dockered, stream)} == {"tgi"}
    assert buckets(chat) == (62, 0, 0, 100, 0)
    assert (stream["record_grain"], buckets(stream)) == ("chunk", (39, 0, 0, 3, 0))
    # native: 3 prefill entries = 3 prompt tokens, 10 generated; empty prefill: input unknown, never 0-and-known
    assert (generate["event_id"], generate["provider"], generate["platform"]) == (f"tgi:{FILE_KEY}:6", "tgi", "tgi")
    assert (buckets(generate), generate["input_unknown"]) == ((3, 0, 0, 10, 0), False)
    assert (buckets(no_prefill), no_prefill["input_unknown"]) == ((0, 0, 0, 10, 0), True)
    # the last stream event's StreamDetails.input_length
    assert (buckets(generate_stream), generate_stream["input_unknown"]) == ((17, 0, 0, 2, 0), False)
    assert reasons(result) == [(10, "missing field details: TGI reports token counts only when the request sets"
                                    " parameters.details=true")]


def test_an_envelope_names_a_host_the_response_does_not(tmp_path: Path) -> None:
    # A bare OpenAI-shaped answer (no marker of its own) is attributed by the envelope, as for vLLM.
    plain = {"id": "chatcmpl-plain", "object": "chat.completion", "created": T_2026_10_07_12H,
             "model": "gpt-oss-120b", "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET}}],
             "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    rows, result = parse(tmp_path, "hinted.jsonl", [env(plain, provider="cerebras"), env(plain, provider="sambanova"),
                                                    env(plain, provider="tgi"), plain])
    assert result.rejects == []
    assert [row["platform"] for row in rows] == ["cerebras", "sambanova", "tgi", "direct"]


# --- one pipeline run -----------------------------------------------------------------------------------------

EXPECTED: dict[str, tuple[str, str, Decimal | None]] = {
    # xAI grok-code-fast-1 (xai.yaml from 2025-08-28: 0.20 in, 0.02 cached, 1.50 out), the stream's usage chunk:
    # 21 x 0.20 + 192 x 0.02 + (27 + 133) x 1.50 = 4.2 + 3.84 + 240 = 248.04 micro-dollars
    "openai:da8e02b5-c40e-2b4b-33ec-f867d1ba3d3e_us-east-1": ("xai", "priced", D("0.00024804")),
    # xAI grok-4-1-fast-reasoning (0.20 in, 0.05 cached, 0.50 out): 9 x 0.20 + 654 x 0.05 + (50 + 124) x 0.50
    # = 1.8 + 32.7 + 87 = 121.5, the same as the 1,215,000 ticks xAI reported
    "openai:3f1c2a7e-5b0d-4e8f-9a61-2c7d8e9f0a1b": ("xai", "priced", D("0.0001215")),
    # Cerebras gpt-oss-120b (cerebras.yaml from 2025-11-07: 0.35 in, 0.75 out): 69 x 0.35 + 59 x 0.75
    # = 24.15 + 44.25 = 68.4
    "openai:chatcmpl-30b3c3d8-ca41-48e7-9ef0-27e322604a13": ("cerebras", "priced", D("0.0000684")),
    # the same model on 2024-08-15, before any evidenced Cerebras price: unpriced, never $0
    "openai:chatcmpl-292e278f-514e-4186-9010-91ce6a14168b": ("cerebras", "unpriced_variant", None),
    # Cerebras zai-glm-4.7 with a cache hit: Cerebras publishes no cached-input rate, so the row is flagged
    "openai:chatcmpl-cerebras-glm-cache": ("cerebras", "unpriced_unit", None),
    # Cerebras qwen-3.8-27b stream (0.99 in, 1.49 out): 400 x 0.99 + 250 x 1.49 = 396 + 372.5 = 768.5
    "openai:chatcmpl-cb-stream": ("cerebras", "priced", D("0.0007685")),
    # SambaNova Meta-Llama-3.3-70B-Instruct (sambanova.yaml: 0.60 in, 1.20 out): 1200 x 0.60 + 300 x 1.20
    # = 720 + 360 = 1080
    "openai:50600e8c-3292-4f91-bbe1-e227f62a9b7a": ("sambanova", "priced", D("0.00108")),
    # SambaNova MiniMax-M3 (0.60 in, 0.06 cached, 2.40 out): 904 x 0.60 + 4096 x 0.06 + 250 x 2.40
    # = 542.4 + 245.76 + 600 = 1388.16
    "openai:b7d1e0f2-4c3a-4e5b-8f6a-9d0c1b2a3e4f": ("sambanova", "priced", D("0.00138816")),
    # SambaNova gpt-oss-120b stream (0.22 in, 0.59 out): 21 x 0.22 + 41 x 0.59 = 4.62 + 24.19 = 28.81
    "openai:sn-stream": ("sambanova", "priced", D("0.00002881")),
    # Self-hosted SGLang: Qwen/Qwen3-32B is in Groq's catalogue, but a self-hosted server never borrows a host's price
    "openai:7c2f0d8e4b8a4f5c9d1e2a3b4c5d6e7f": ("sglang", "unpriced_model", None),
    "openai:sg-stream": ("sglang", "unpriced_model", None),
    "sglang:rid-stream": ("sglang", "unpriced_model", None),
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("more_hosts"))
    landing = settings.landing
    write_jsonl(landing / "xai.jsonl", [*xai_stream(), XAI_REASONING])
    write_jsonl(landing / "cerebras.jsonl", [CEREBRAS, CEREBRAS_2024, CEREBRAS_CACHED,
                                             *cerebras_stream("chatcmpl-cb-stream")])
    write_jsonl(landing / "sambanova.jsonl", [SAMBANOVA, SAMBANOVA_CACHED, *sambanova_stream("sn-stream")])
    write_jsonl(landing / "sglang.jsonl", [
        SGLANG_CHAT, *sglang_stream("sg-stream"),
        env(sglang_native("rid-stream", 2, None), model="Qwen/Qwen3-32B"),
        env(sglang_native("rid-stream", 3, {"type": "stop"}), model="Qwen/Qwen3-32B")])
    write_jsonl(landing / "tgi.jsonl", [TGI_CHAT, *tgi_stream(), env(TGI_GENERATE, model="meta-llama/Llama-2-7b-hf"),
                                        env(TGI_GENERATE_NO_PREFILL, model="meta-llama/Llama-2-7b-hf")])
    run_pipeline(settings)
    return settings


@pytest.fixture(scope="module")
def priced(settings: Settings) -> dict[str, tuple[Any, ...]]:
    rows = read(settings, "SELECT event_id, price_provider, cost_status, list_cost_usd, platform, reported_cost_usd,"
                          " input_tokens, output_tokens, record_grain, model FROM core.usage_priced")
    return {row[0]: row[1:] for row in rows}


def test_paid_hosts_priced_by_hand(priced: dict[str, tuple[Any, ...]]) -> None:
    for event_id, (book, status, cost) in EXPECTED.items():
        assert event_id in priced, event_id
        assert priced[event_id][:3] == (book, status, cost), event_id


def test_model_aliases_and_reported_cost(priced: dict[str, tuple[Any, ...]]) -> None:
    # The API's mixed-case ids resolve to the lower-case catalogue entries; xAI's own charge sits beside ours.
    assert priced["openai:50600e8c-3292-4f91-bbe1-e227f62a9b7a"][8] == "meta-llama-3.3-70b-instruct"
    assert priced["openai:b7d1e0f2-4c3a-4e5b-8f6a-9d0c1b2a3e4f"][8] == "minimax-m3"
    assert priced["openai:3f1c2a7e-5b0d-4e8f-9a61-2c7d8e9f0a1b"][3:5] == ("xai", D("0.0001215"))


def test_streams_keep_one_event_with_the_final_counts(priced: dict[str, tuple[Any, ...]]) -> None:
    # (uncached input, output, grain) of each stream's one event
    assert priced["openai:da8e02b5-c40e-2b4b-33ec-f867d1ba3d3e_us-east-1"][5:8] == (21, 160, "chunk")
    assert priced["openai:chatcmpl-cb-stream"][5:8] == (400, 250, "chunk")
    assert priced["openai:sn-stream"][5:8] == (21, 41, "chunk")
    assert priced["openai:sg-stream"][5:8] == (50, 40, "chunk")
    # SGLang's native stream: the finished response wins over the cumulative chunk before it
    assert priced["sglang:rid-stream"][5:8] == (2, 3, "request")


def test_self_hosted_tgi_lands_unpriced_keyed_by_file_and_line(settings: Settings) -> None:
    rows = read(settings, "SELECT e.provider, e.platform, e.input_tokens, e.output_tokens, e.input_unknown,"
                          " p.cost_status, p.list_cost_usd FROM core.usage_events e JOIN core.usage_priced p"
                          " USING (event_id) WHERE e.platform = 'tgi' ORDER BY e.source_line")
    assert rows == [
        ("openai", "tgi", 62, 100, False, "unpriced_model", None),   # /v1/chat/completions, line 1
        ("openai", "tgi", 39, 3, False, "unpriced_model", None),     # the stream's usage chunk, line 4
        ("tgi", "tgi", 3, 10, False, "unpriced_model", None),        # native /generate with prefill, line 5
        ("tgi", "tgi", 0, 10, True, "unpriced_model", None),         # native /generate, prompt count unknown
    ]


def test_every_record_is_a_row_or_a_skip(settings: Settings) -> None:
    assert read(settings, "SELECT count(*) FROM raw.rejects") == [(0,)]
    skipped = read(settings, "SELECT source_file, records_skipped FROM raw.file_ledger WHERE records_skipped > 0"
                             " ORDER BY source_file")
    # xAI: 3 chunks without usage; Cerebras, SambaNova, SGLang: 1 each; TGI: the chat stream's 2
    assert [(Path(name).name, count) for name, count in skipped] == [
        ("cerebras.jsonl", 1), ("sambanova.jsonl", 1), ("sglang.jsonl", 1), ("tgi.jsonl", 2), ("xai.jsonl", 3)]


def test_no_message_text_reaches_the_warehouse(settings: Settings) -> None:
    assert SECRET.encode() not in settings.warehouse.read_bytes()
    # DuckDB compresses strings on disk, so every text column is searched too.
    columns = read(settings, "SELECT schema_name, table_name, column_name FROM duckdb_columns()"
                             " WHERE data_type = 'VARCHAR' AND schema_name IN ('raw', 'staging', 'core', 'marts')")
    for schema, table, column in columns:
        hits = read(settings, f'SELECT count(*) FROM {schema}.{table} WHERE "{column}" LIKE ?', [f"%{SECRET}%"])
        assert hits == [(0,)], f"{schema}.{table}.{column}"
