"""`meterline pull`: the providers' admin usage and cost reports, fetched into the landing folder for the ingest."""

from pipelines.pull import anthropic, openai
from pipelines.pull.client import PullError, RetryPolicy
from pipelines.pull.provider import Provider
from pipelines.pull.run import configured, pull_provider
from pipelines.pull.state import PullRecord, open_warehouse

PROVIDERS: dict[str, Provider] = {provider.name: provider for provider in (openai.PROVIDER, anthropic.PROVIDER)}

__all__ = ["PROVIDERS", "Provider", "PullError", "PullRecord", "RetryPolicy", "configured", "open_warehouse",
           "pull_provider"]
