"""(being written)"""

from pipelines.ingest.formats.base import Format

FORMATS: list[Format] = []
