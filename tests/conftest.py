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
# KINDCHECK_* variables.
@pytest.fixture(scope="session", autouse=True)
def _private_state_dir_for_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("state")
    saved = {name: os.environ.get(name) for name in ("KINDCHECK_STATE_DIR", "XDG_STATE_HOME")}
    os.environ["KINDCHECK_STATE_DIR"] = str(folder / "kindcheck")
    os.environ["XDG_STATE_HOME"] = str(folder)
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
