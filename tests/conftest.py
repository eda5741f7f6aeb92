"""Shared test settings: bounded hypothesis runs so CI stays within its time budget."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("soak", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# The rollback counter (kindcheck.store.audit._RollbackCounter) keeps a small file per vault outside
# the data dir. Tests must neither write into the real per-user state folder nor see another
# test's counters (many tests open copies of one template vault): module fixtures get one
# folder for the session, each test its own. XDG_STATE_HOME covers subprocesses, which drop
# KINDCHECK_* variables. The same for the settings file (its `lang` decides the command line's
# language): no test reads the user's own, through KINDCHECK_CONFIG_DIR or XDG_CONFIG_HOME.
@pytest.fixture(scope="session", autouse=True)
def _private_state_dir_for_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("state")
    names = ("KINDCHECK_STATE_DIR", "XDG_STATE_HOME", "KINDCHECK_CONFIG_DIR", "XDG_CONFIG_HOME")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["KINDCHECK_STATE_DIR"] = str(folder / "kindcheck")
    os.environ["XDG_STATE_HOME"] = str(folder)
    os.environ["KINDCHECK_CONFIG_DIR"] = str(folder / "config" / "kindcheck")
    os.environ["XDG_CONFIG_HOME"] = str(folder / "config")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _private_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("KINDCHECK_STATE_DIR", str(folder / "kindcheck"))
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    monkeypatch.setenv("KINDCHECK_CONFIG_DIR", str(folder / "config" / "kindcheck"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "config"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The bundle test first: it is one test of about a minute (mostly waiting for pip), so
    with xdist one worker starts on it at once while the others take the rest, instead of it
    trailing at the end of the run."""
    items.sort(key=lambda item: item.get_closest_marker("bundle") is None)
