"""Where the vault lives, and the app's typed settings. Shared by the CLI and the app.

The data dir: an explicit ``--data-dir``, then ``KINDCHECK_DATA_DIR``, then the platform's user
data folder (platformdirs ``user_data_dir("kindcheck")``, e.g. ``~/.local/share/kindcheck`` on
Linux, ``%LOCALAPPDATA%\\kindcheck`` on Windows). Nothing here touches the disk.

The app's settings (:class:`Settings`): a typed object read from TOML, overridable by
environment variables. Precedence, lowest first: the defaults below, ``settings.toml`` in
platformdirs' ``user_config_dir("kindcheck")`` (or ``KINDCHECK_CONFIG_DIR``), environment
variables, then what the command line passes to :func:`kindcheck.screens.launch.run_app`. Tests
set the environment variables (or build a :class:`Settings` directly) so that they never read
the user's file.

Example ``settings.toml``::

    idle_lock_minutes = 10
    lang = "nl"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DATA_DIR_ENV = "KINDCHECK_DATA_DIR"
APP_NAME = "kindcheck"
LANGUAGES = ("nl", "en")
MIN_IDLE_MINUTES = 1
MAX_IDLE_MINUTES = 120
# The vault file's name in the data dir, as kindcheck.store.DB_NAME (a test checks they agree):
# knowing it here lets the first screen choose between "create" and "unlock" without importing
# the store or the service.
VAULT_FILE = "kindcheck.db"


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


class SettingsError(ValueError):
    """A settings file or variable that cannot be used (the message names the field)."""


@dataclass(frozen=True)
class Settings:
    """What the app needs to start; built once and handed to the app factory."""

    data_dir: Path | None = None
    """The vault's folder; None means platformdirs' user data folder for "kindcheck"."""

    lang: str = "nl"
    """The interface language: "nl" (default) or "en". Questionnaires carry both."""

    idle_lock_minutes: float = 10
    """Minutes without a key press or mouse action after which the app locks itself."""

    cursor_blink: bool = True
    """Blink the text cursor. Snapshot tests switch it off so screenshots are deterministic."""

    demo: bool = False
    """Run on a throwaway vault with synthetic clients (``kindcheck demo``)."""

    extra: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Unknown keys from the file, kept so a newer file does not break an older app."""

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        return default_data_dir()


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("KINDCHECK_CONFIG_DIR"):
        return Path(env["KINDCHECK_CONFIG_DIR"])
    from platformdirs import user_config_dir

    return Path(user_config_dir("kindcheck", appauthor=False))


def _check_lang(value: object, where: str) -> str:
    if value not in LANGUAGES:
        raise SettingsError(f"{where}: choose nl or en")
    return str(value)


def _check_minutes(value: object, where: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise SettingsError(f"{where}: expected a number of minutes") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"{where}: expected a number of minutes")
    if not MIN_IDLE_MINUTES <= value <= MAX_IDLE_MINUTES:
        raise SettingsError(f"{where}: expected {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} minutes")
    return float(value)


def _check_flag(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{where}: expected true or false")


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    data_dir: Path | None = None,
    lang: str | None = None,
    demo: bool = False,
) -> Settings:
    """Settings from the file, then the environment, then the explicit arguments."""
    env = os.environ if env is None else env
    settings = Settings()
    path = config_dir(env) / "settings.toml"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingsError(f"{path}: not a valid TOML file ({error})") from None
        except OSError as error:
            raise SettingsError(f"{path}: cannot be read ({error.strerror})") from None
        extra = {}
        for key, value in data.items():
            where = f"{path}: {key}"
            if key == "lang":
                settings = replace(settings, lang=_check_lang(value, where))
            elif key == "idle_lock_minutes":
                settings = replace(settings, idle_lock_minutes=_check_minutes(value, where))
            elif key == "cursor_blink":
                settings = replace(settings, cursor_blink=_check_flag(value, where))
            else:
                extra[key] = str(value)
        settings = replace(settings, extra=extra)
    if env.get("KINDCHECK_LANG"):
        settings = replace(settings, lang=_check_lang(env["KINDCHECK_LANG"], "KINDCHECK_LANG"))
    if env.get("KINDCHECK_IDLE_LOCK_MINUTES"):
        settings = replace(
            settings,
            idle_lock_minutes=_check_minutes(
                env["KINDCHECK_IDLE_LOCK_MINUTES"], "KINDCHECK_IDLE_LOCK_MINUTES"
            ),
        )
    if env.get("KINDCHECK_CURSOR_BLINK"):
        settings = replace(
            settings,
            cursor_blink=_check_flag(env["KINDCHECK_CURSOR_BLINK"], "KINDCHECK_CURSOR_BLINK"),
        )
    if env.get("KINDCHECK_DATA_DIR"):
        settings = replace(settings, data_dir=Path(env["KINDCHECK_DATA_DIR"]))
    if data_dir is not None:
        settings = replace(settings, data_dir=data_dir)
    if lang is not None:
        settings = replace(settings, lang=_check_lang(lang, "--lang"))
    return replace(settings, demo=demo)


def preferred_language(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The language of the command line's texts, in the app's order: ``explicit`` (``--lang``),
    else ``KINDCHECK_LANG``, else ``lang`` in the settings file, else Dutch.

    Only ``lang`` is read, and a value that is not a language is passed over (argparse refuses a
    bad ``--lang`` itself): a settings file the app would refuse must not stop ``kindcheck
    list`` or ``--help``; the app says what is wrong with it when it starts."""
    env = os.environ if env is None else env
    for candidate in (explicit, env.get("KINDCHECK_LANG")):
        if candidate in LANGUAGES:
            return str(candidate)
    path = config_dir(env) / "settings.toml"
    try:
        value = tomllib.loads(path.read_text("utf-8")).get("lang")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        value = None
    return str(value) if value in LANGUAGES else Settings.lang
