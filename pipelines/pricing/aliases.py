"""Map the model id a provider logged to the catalogue that bills it and the catalogue's canonical id.

Every format goes through this one layer. The catalogue of the platform that served the request (bedrock, vertex,
azure, groq ...) is tried first, then the catalogue a gateway's `vendor/model` id names (OpenRouter, LiteLLM), then
the model vendor's own; which one priced the event is kept on the row. Exact ids and aliases win, so a dated
snapshot with its own price (gpt-4o-2024-05-13) can be listed on its own; otherwise path prefixes, Bedrock ARNs and
version suffixes, and one trailing date stamp are stripped and the lookup is tried again. Bedrock's `us.`/`eu.`/
`global.` prefixes are not thrown away: they become the endpoint scope, which changes the price. A fine-tune
(`ft:base:org:suffix:id`) is looked up as `ft:base`, never as its base model, whose price differs. An Azure
deployment name is first mapped to its model by the user's deployments file. When no catalogue the record names
knows the id and the record's shape names no vendor (OpenAI's shape, which every compatible host answers in, or a
gateway export), an id that exactly one vendor lists (resellers aside), or that only one catalogue lists at all, is
priced there (Mistral's own ids logged through the OpenAI SDK, Groq's and Together's); anything else stays unpriced
under its raw name. A self-hosted server (vLLM, SGLang, TGI, Ollama) serves the same open-weight ids the hosts list,
but its tokens cost what its GPUs cost: only a catalogue named after the server itself (an internal rate the user
adds) prices them. Replicate and Modal bill everything they run themselves, under their own ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.pricing.catalogue import Catalogue

_PREFIXES = ("publishers/google/models/", "models/")
# First path segments of gateway ids (OpenRouter `vendor/model`, LiteLLM `provider/model`) -> the catalogue they name.
GATEWAY_SEGMENTS = {
    "openai": "openai", "anthropic": "anthropic", "google": "google", "gemini": "google", "vertex_ai": "vertex",
    "bedrock": "bedrock", "azure": "azure", "mistralai": "mistral", "mistral": "mistral", "x-ai": "xai",
    "xai": "xai", "deepseek": "deepseek", "cohere": "cohere", "z-ai": "zhipuai", "zhipuai": "zhipuai",
    "groq": "groq", "together_ai": "together", "fireworks_ai": "fireworks",
}
_ARN = re.compile(r"^arn:aws[\w-]*:bedrock:[\w-]*:\d*:[\w-]+/")
_SCOPE = re.compile(r"^(global|us|us-gov|eu|apac|jp|au|ca)\.")
_VERSION = re.compile(r"(?:-v\d+)?(?::\d+)$|-v\d+$")
# Gateways spell Claude ids their own ways: OpenRouter's public slug is dotted (claude-sonnet-4.5), its older ids put
# the version first (claude-4.5-sonnet-20250929), which is Anthropic's own order only up to Claude 3.x.
_DOTTED = re.compile(r"(?<=\d)\.(?=\d)")
_CLAUDE_ORDER = re.compile(r"^claude-(\d+(?:-\d+)?)-(opus|sonnet|haiku)(?=-|$)")
_STAMP = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|@latest|@default|-latest|-\d{3})$")
DIRECT_PLATFORMS = frozenset({"", "direct"})
# Catalogues of platforms that resell other vendors' models.
RESELLERS = frozenset({"bedrock", "vertex", "azure", "groq", "together", "fireworks", "cerebras", "sambanova"})
SELF_HOSTED = frozenset({"vllm", "sglang", "tgi", "ollama"})
# Platforms that bill everything they run at their own prices, under their own ids (`owner/name` on Replicate, an
# app name on Modal): an id is never read as a gateway's `vendor/model` nor looked up in another catalogue.
OWN_PRICES = frozenset({"replicate", "modal"})


def _bedrock_scope(book: str, scope: str | None) -> str | None:
    """A bare Bedrock id is served in the caller's region, whichever way the record reached the Bedrock catalogue."""
    return "in_region" if book == "bedrock" and scope is None else scope


@dataclass(frozen=True)
class Resolution:
    price_provider: str
    model: str
    known: bool
    endpoint_scope: str | None


@dataclass(frozen=True)
class ModelIndex:
    by_name: dict[tuple[str, str], str]
    providers: frozenset[str]
    # Each name -> the catalogues that list it, for ids no catalogue the record names knows.
    books_of: dict[str, frozenset[str]] = field(default_factory=dict)
    # Azure deployment name (lower case) -> the model it serves, from the user's deployments file.
    deployments: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, deployments: dict[str, str] | None = None) -> ModelIndex:
        names: dict[tuple[str, str], str] = {}
        books: dict[str, set[str]] = {}
        for provider, entries in catalogue.providers.items():
            for entry in entries.models:
                for name in (entry.id, *entry.aliases):
                    names[(provider, name.lower())] = entry.id
                    books.setdefault(name.lower(), set()).add(provider)
        return cls(by_name=names, providers=frozenset(catalogue.providers),
                   books_of={name: frozenset(found) for name, found in books.items()},
                   deployments={name.lower(): model for name, model in (deployments or {}).items()})

    def resolve(self, provider: str, model_raw: str, platform: str = "direct") -> Resolution:
        """An unknown model keeps its normalised raw id under the platform's (or vendor's) name and is flagged."""
        platform = platform.lower()
        logged = model_raw.strip()
        own = provider if provider in OWN_PRICES else platform if platform in OWN_PRICES else None
        if own is not None:
            name = logged.lower()
            for candidate in candidates(name):
                hit = self.by_name.get((own, candidate))
                if hit is not None:
                    return Resolution(own, hit, True, None)
            return Resolution(own, name, False, None)
        if platform == "azure":
            logged = self.deployments.get(logged.lower(), logged)
        full, scope = normalise(logged, strip_gateway=False)
        name, _ = normalise(logged)
        gateway = GATEWAY_SEGMENTS.get(full.split("/", 1)[0]) if "/" in full else None
        self_hosted = platform in SELF_HOSTED
        books = [platform] if self_hosted else [
            book for book in (platform, gateway, provider) if book and book not in DIRECT_PLATFORMS]
        names = list(dict.fromkeys([*candidates(full), *candidates(name)]))
        for book in dict.fromkeys(books):
            # Bedrock names a vendor's model `<vendor>.<id>`; Claude's responses from Bedrock InvokeModel say the
            # bare id (`claude-haiku-4-5-20251001`).
            vendored = [f"{provider}.{candidate}" for candidate in names] \
                if book == "bedrock" and provider != book else []
            for candidate in [*names, *vendored]:
                hit = self.by_name.get((book, candidate))
                if hit is not None:
                    return Resolution(book, hit, True, _bedrock_scope(book, scope))
        # OpenAI's response shape is every compatible host's, and gateways name no vendor: there, an id that one
        # vendor lists (resellers aside), or that only one catalogue lists at all, is priced in that catalogue.
        if not self_hosted and (provider == "openai" or provider not in self.providers):
            for candidate in names:
                listed = self.books_of.get(candidate, frozenset())
                vendors = listed - RESELLERS
                book = next(iter(vendors)) if len(vendors) == 1 else next(iter(listed)) if len(listed) == 1 else None
                if book is not None:
                    return Resolution(book, self.by_name[(book, candidate)], True, _bedrock_scope(book, scope))
        fallback = books[0] if books and (self_hosted or books[0] in self.providers) else provider
        return Resolution(fallback, name, False, _bedrock_scope(fallback, scope))


def normalise(model_raw: str, *, strip_gateway: bool = True) -> tuple[str, str | None]:
    """The lower-cased id without path prefixes or ARN, and the endpoint scope its prefix names, if any.

    With `strip_gateway`, a leading gateway segment (`openai/`, `bedrock/` ...) goes too; ids that are paths in
    their own catalogue (`meta-llama/Llama-3.3-70B-Instruct-Turbo`) are looked up both ways.
    """
    name = _ARN.sub("", model_raw.strip().lower())
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if strip_gateway and "/" in name and name.split("/", 1)[0] in GATEWAY_SEGMENTS:
        name = name.split("/", 1)[1]
    scope = None
    match = _SCOPE.match(name)
    if match:
        scope = "global" if match.group(1) == "global" else "geo"
        name = name[match.end() :]
    return name, scope


def candidates(name: str) -> list[str]:
    """Names to look up, most specific first: as logged, without a version suffix, without a date stamp.

    A fine-tune `ft:<base>:<org>:<suffix>:<id>` is tried as `ft:<base>` and `ft:<base without date>` only.
    """
    if name.startswith("ft:"):
        base = name.split(":")[1] if name.count(":") >= 1 else ""
        return list(dict.fromkeys([name, f"ft:{base}", f"ft:{_STAMP.sub('', base)}"]))
    unversioned = _VERSION.sub("", name)
    found = [name, unversioned, _STAMP.sub("", unversioned), _STAMP.sub("", name)]
    if name.startswith("claude-"):
        dashed = _DOTTED.sub("-", name)
        for spelling in dict.fromkeys([dashed, _CLAUDE_ORDER.sub(r"claude-\2-\1", dashed)]):
            found += [spelling, _STAMP.sub("", spelling)]
    return list(dict.fromkeys(found))
