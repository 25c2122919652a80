"""Load the Azure deployments file: which model each user-named Azure OpenAI deployment serves.

Azure's Responses API reports the deployment name (`chat-prod`) as the model, so it cannot be priced without this
map. The file is `azure_deployments.yaml` beside your catalogue, or the path in METERLINE_AZURE_DEPLOYMENTS:

    deployments:
      chat-prod: gpt-4o-2024-08-06
      gpt5-east: gpt-5
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pipelines.pricing.catalogue import CatalogueError, load_yaml_model


class DeploymentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deployments: dict[str, str] = Field(default_factory=dict)


def load_deployments(path: Path | None) -> dict[str, str]:
    """Deployment name -> model id; empty when no file is configured. A configured file must exist and be valid."""
    if path is None:
        return {}
    if not path.is_file():
        raise CatalogueError(f"{path}: Azure deployments file does not exist")
    parsed = load_yaml_model(path, DeploymentsFile, "`deployments`")
    blank = sorted(name for name, model in parsed.deployments.items() if not name.strip() or not model.strip())
    if blank:
        raise CatalogueError(f"{path}: deployments with an empty name or model: {', '.join(blank)}")
    return parsed.deployments
