"""Where the vault lives: the data-dir resolver shared by the CLI and the app.

Order: an explicit ``--data-dir``, then ``KINDCHECK_DATA_DIR``, then the platform's user data
folder (platformdirs ``user_data_dir("kindcheck")``, e.g. ``~/.local/share/kindcheck`` on
Linux, ``%LOCALAPPDATA%\\kindcheck`` on Windows). Nothing here touches the disk.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "KINDCHECK_DATA_DIR"
APP_NAME = "kindcheck"


def default_data_dir() -> Path:
    """The platform's per-user data folder for Kindcheck."""
    # Imported here: platformdirs is light, but --help and --version need none of it.
    from platformdirs import user_data_dir

    # appauthor=False: no "kindcheck\kindcheck" nesting on Windows.
    return Path(user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(explicit: Path | str | None = None) -> Path:
    """The data dir to use: explicit, else KINDCHECK_DATA_DIR, else the platform default."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    from_env = os.environ.get(DATA_DIR_ENV, "")
    if from_env:
        return Path(from_env).expanduser()
    return default_data_dir()
