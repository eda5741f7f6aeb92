"""The offline install bundle (tools/bundle.py, docs/offline-bundle.md).

- Offline and fast: each committed lock agrees with pyproject.toml; the wheel check (tags and
  hashes) catches a missing platform wheel and a foreign hash; the install scripts ask no index.
- With the index (the CI machine reaches PyPI): every pinned package of each platform's lock has
  a wheel for that platform and Python 3.11 and 3.12, with a hash the lock holds.
- The Linux bundle end to end (marker ``bundle``, in the default run and started first, see
  tests/conftest.py; about a minute, half of it waiting for pip):
  built here, then installed by its own install.sh into a fresh user folder with no index and,
  where the machine allows it, no network at all; the launcher it puts in ~/.local/bin must
  start and compute an outcome exactly as the development install does.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "three-or-more-domains.json"


def load_bundle_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_tool", ROOT / "tools" / "bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bundle_tool"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bundle = load_bundle_tool()
PLATFORM_NAMES = list(bundle.PLATFORMS)


# --------------------------------------------------------------------------------------------
# Offline checks


@pytest.mark.parametrize("platform", PLATFORM_NAMES)
def test_each_lock_pins_every_dependency_within_pyproject_bounds(platform: str) -> None:
    lock = bundle.PLATFORMS[platform].lock
    pins = bundle.read_lock(lock.read_text("utf-8"))
    assert bundle.lock_problems(pins, bundle.runtime_requirements()) == []
    assert all(pin.hashes for pin in pins)
    assert "kindcheck" not in {pin.name for pin in pins}  # added per build, with its own hash


def test_a_lock_behind_pyproject_is_caught() -> None:
    pins = bundle.read_lock(bundle.PLATFORMS["win_amd64"].lock.read_text("utf-8"))
    problems = bundle.lock_problems(
        pins, [Requirement("textual>=99"), Requirement("kindcheck-new-dependency>=1")]
    )
    assert len(problems) == 2
    assert "textual==" in problems[0] and "does not meet" in problems[0]
    assert "kindcheck-new-dependency is a dependency but not in the lock" in problems[1]


def test_a_lock_line_without_a_hash_is_refused() -> None:
    with pytest.raises(bundle.BundleError, match="no --hash"):
        bundle.read_lock("rich==15.0.0\n")


def pin(name: str, version: str, *hashes: str) -> object:
    return bundle.Pin(name, version, frozenset(hashes))


def index_file(filename: str, digest: str) -> object:
    return bundle.IndexFile(filename, digest)


def test_wheel_check_finds_a_platform_without_a_wheel() -> None:
    """cryptography 50 has no wheel for Intel Macs: the lock for them must pin an older one."""
    pins = [pin("cryptography", "50.0.2", "a" * 64, "b" * 64)]
    files = {
        "cryptography": [
            index_file("cryptography-50.0.2-cp311-abi3-macosx_11_0_arm64.whl", "a" * 64),
            index_file("cryptography-50.0.2-cp311-abi3-win_amd64.whl", "b" * 64),
            index_file("cryptography-50.0.2.tar.gz", "c" * 64),
        ]
    }
    platforms = bundle.PLATFORMS
    assert bundle.wheel_problems(pins, files, platforms["macosx_arm64"]) == []
    assert bundle.wheel_problems(pins, files, platforms["win_amd64"]) == []
    assert bundle.wheel_problems(pins, files, platforms["macosx_x86_64"]) == [
        "cryptography==50.0.2: no wheel for macosx_x86_64, Python 3.11",
        "cryptography==50.0.2: no wheel for macosx_x86_64, Python 3.12",
    ]


def test_wheel_check_needs_each_python_and_the_locked_hash() -> None:
    pins = [pin("pydantic-core", "2.50.5", "a" * 64)]
    files = {
        "pydantic-core": [
            index_file("pydantic_core-2.50.5-cp311-cp311-win_amd64.whl", "a" * 64),
            index_file("pydantic_core-2.50.5-cp312-cp312-win_amd64.whl", "f" * 64),
        ]
    }
    assert bundle.wheel_problems(pins, files, bundle.PLATFORMS["win_amd64"]) == [
        "pydantic-core==2.50.5: the win_amd64 wheel for Python 3.12 has a hash the lock "
        "does not hold"
    ]


def test_wheel_check_accepts_universal2_abi3_and_older_manylinux() -> None:
    pins = [pin("cffi", "2.1.1", "a" * 64), pin("rich", "15.0.0", "b" * 64)]
    files = {
        "cffi": [
            index_file("cffi-2.1.1-cp39-abi3-macosx_10_9_universal2.whl", "a" * 64),
            index_file(
                "cffi-2.1.1-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl", "a" * 64
            ),
        ],
        "rich": [index_file("rich-15.0.0-py3-none-any.whl", "b" * 64)],
    }
    for name in ("macosx_arm64", "macosx_x86_64", "manylinux_x86_64"):
        assert bundle.wheel_problems(pins, files, bundle.PLATFORMS[name]) == [], name


def test_install_scripts_ask_no_index_and_check_every_hash() -> None:
    """What the scripts must say to pip (the Linux one also runs below; PowerShell cannot run
    here, so this is the check it gets)."""
    installer = ROOT / "tools" / "installer"
    for script in ("install.sh", "install.ps1"):
        text = (installer / script).read_text("utf-8")
        for option in ("--isolated", "--no-index", "--require-hashes", "--only-binary"):
            assert option in text, (script, option)
    windows = (installer / "install.ps1").read_text("utf-8")
    assert "[Environment]::SetEnvironmentVariable('Path'" in windows
    assert "'User')" in windows
    assert "HKLM" not in windows and "Machine" not in windows  # never the machine's PATH
    assert "kindcheck.cmd" in windows


# --------------------------------------------------------------------------------------------
# With the index: a wheel for every platform


@pytest.mark.parametrize("platform", PLATFORM_NAMES)
def test_every_pinned_dependency_has_a_wheel_for(platform: str) -> None:
    result = subprocess.run(
        [sys.executable, ROOT / "tools" / "bundle.py", "--check", "--platform", platform],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "each with a wheel for Python 3.11 and 3.12" in result.stdout


# --------------------------------------------------------------------------------------------
# The Linux bundle, built and installed offline


def no_network_prefix() -> list[str]:
    """``unshare -n``: the install runs with no network at all, where the machine allows it."""
    unshare = shutil.which("unshare")
    for prefix in ([unshare, "-n"], [unshare, "-rn"]) if unshare else ():
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return []


@pytest.mark.bundle
def test_linux_bundle_installs_offline_and_runs(tmp_path: Path) -> None:
    started = time.monotonic()
    dist = tmp_path / "dist"
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    built = subprocess.run(
        [
            sys.executable,
            ROOT / "tools" / "bundle.py",
            "--platform",
            "manylinux_x86_64",
            "-o",
            dist,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    archive = dist / "kindcheck-0.1.0-manylinux_x86_64.zip"
    build_seconds = time.monotonic() - started
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        opened.extractall(tmp_path / "unpacked")
    top = "kindcheck-0.1.0-manylinux_x86_64/"
    assert {f"{top}install.sh", f"{top}requirements.lock", f"{top}LEESMIJ.txt"} <= set(names)
    wheels = [name for name in names if name.endswith(".whl")]
    assert any("kindcheck-0.1.0-py3-none-any.whl" in name for name in wheels)
    for version in ("cp311", "cp312"):  # both Pythons' binary wheels are in
        assert any("pydantic_core-" in name and f"-{version}-" in name for name in wheels)

    home = tmp_path / "Jan de Vries"  # a space in the user folder
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHON": sys.executable,
        "PIP_INDEX_URL": "http://127.0.0.1:9/nowhere",  # would fail at once, if pip asked
        "PIP_FIND_LINKS": "",
        "LANG": "C.UTF-8",
    }
    folder = tmp_path / "unpacked" / top
    started = time.monotonic()
    installed = subprocess.run(
        [*no_network_prefix(), "sh", folder / "install.sh"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    install_seconds = time.monotonic() - started
    assert installed.returncode == 0, installed.stdout + installed.stderr
    launcher = home / ".local" / "bin" / "kindcheck"
    assert launcher.is_symlink()
    assert f'export PATH="{home}/.local/bin:$PATH"' in (home / ".profile").read_text("utf-8")

    version = subprocess.run(
        [launcher, "--version"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert (version.returncode, version.stdout.strip()) == (0, "kindcheck 0.1.0")
    venv_python = launcher.resolve().parent / "python"
    where = subprocess.run(
        [venv_python, "-c", "import kindcheck; print(kindcheck.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert Path(where.stdout.strip()).is_relative_to(home / ".local" / "share" / "kindcheck-app")

    outcome = subprocess.run(
        [launcher, "outcome", EXAMPLE], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    dev_env = {k: v for k, v in os.environ.items() if not k.startswith("KINDCHECK_")}
    expected = subprocess.run(
        [sys.executable, "-m", "kindcheck.cli", "outcome", EXAMPLE],
        env=dev_env,
        capture_output=True,
        text=True,
    )
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.stdout == expected.stdout and "3" in outcome.stdout

    # A wheel changed after the build (on a USB stick, in a mail): refused, the install kept.
    tampered = next((folder / "wheels").glob("rich-*.whl"))
    tampered.write_bytes(tampered.read_bytes() + b"\0")
    again = subprocess.run(
        [*no_network_prefix(), "sh", folder / "install.sh"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert again.returncode == 1
    assert "nothing was changed" in again.stderr and "hash" in again.stderr.lower()
    assert len(list((home / ".local" / "share" / "kindcheck-app").glob("venv-*"))) == 1
    still = subprocess.run([launcher, "--version"], env=env, capture_output=True, text=True)
    assert still.returncode == 0

    removed = subprocess.run(
        ["sh", folder / "install.sh", "--uninstall"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert removed.returncode == 0, removed.stderr
    assert not launcher.exists() and not launcher.is_symlink()
    assert not (home / ".local" / "share" / "kindcheck-app").exists()
    print(
        f"\nbundle: {archive.stat().st_size / 1e6:.1f} MB, built in {build_seconds:.0f} s, "
        f"installed (Python {python}, network: {'none' if no_network_prefix() else 'on'}) "
        f"in {install_seconds:.0f} s"
    )
