"""Provider responses copied exactly from shared/reference/provider-formats.md, shared by the mapping tests."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]

# Section 1a: Chat Completions with a cache hit.
CHAT_EXAMPLE: Record = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "object": "chat.completion",
    "created": 1741569952,
    "model": "gpt-4o-2024-08-06",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
    "usage": {
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "total_tokens": 2306,
        "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    },
    "service_tier": "default",
    "system_fingerprint": "fp_b663f05c2c",
}

# Section 1b: Responses API.
RESPONSES_EXAMPLE: Record = {
    "id": "resp_67ccd2bed1ec8190b14f964abc054267", "object": "response", "created_at": 1741476542,
    "status": "completed", "model": "gpt-4.1-2025-04-14", "service_tier": "default",
    "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
              "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123},
}

# Section 2a: Anthropic Messages.
ANTHROPIC_EXAMPLE: Record = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "..."}], "stop_reason": "end_turn",
    "usage": {"input_tokens": 21, "cache_creation_input_tokens": 1200, "cache_read_input_tokens": 18432,
              "cache_creation": {"ephemeral_5m_input_tokens": 1200, "ephemeral_1h_input_tokens": 0},
              "output_tokens": 512, "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
              "service_tier": "standard"},
}

# Section 3a: Gemini generateContent (REST, camelCase).
GEMINI_EXAMPLE: Record = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "..."}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 12040, "cachedContentTokenCount": 8192, "candidatesTokenCount": 250,
                      "thoughtsTokenCount": 945, "totalTokenCount": 13235,
                      "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 11782},
                                              {"modality": "IMAGE", "tokenCount": 258}],
                      "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 8192}],
                      "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 250}]},
    "modelVersion": "gemini-2.5-pro", "responseId": "mAitaLmkHPPlz7IPvtfUqQ4",
}

# The same Gemini response as `model_dump()` of the Python SDK writes it (snake_case).
GEMINI_SNAKE_EXAMPLE: Record = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "..."}]}, "finish_reason": "STOP"}],
    "usage_metadata": {"prompt_token_count": 12040, "cached_content_token_count": 8192,
                       "candidates_token_count": 250, "thoughts_token_count": 945, "total_token_count": 13235,
                       "prompt_tokens_details": [{"modality": "TEXT", "token_count": 11782},
                                                 {"modality": "IMAGE", "token_count": 258}],
                       "cache_tokens_details": [{"modality": "TEXT", "token_count": 8192}],
                       "candidates_tokens_details": [{"modality": "TEXT", "token_count": 250}]},
    "model_version": "gemini-2.5-pro", "response_id": "mAitaLmkHPPlz7IPvtfUqQ4",
}
