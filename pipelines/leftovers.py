"""Files a killed publish left behind: `.<name>.<pid>.building` copies (and their `.wal`) of dead processes."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

_BUILDING = re.compile(r"^\..+\.(\d+)\.building(\.wal)?$")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_building(folder: Path) -> list[Path]:
    """Remove the building files and folders directly in `folder` whose process is gone; a live process's, this
    one's included, are never touched. Returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.iterdir()):
        match = _BUILDING.match(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or alive(pid):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed
