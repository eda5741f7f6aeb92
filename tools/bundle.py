"""The offline install bundle: one zip per platform with every wheel Kindcheck needs.

For laptops that cannot reach a package index (docs/offline-bundle.md says how IT uses it).
A bundle holds the kindcheck wheel, the wheel of every runtime dependency for that platform
and each supported Python, ``requirements.lock`` (every wheel pinned by its SHA-256), and an
install script (``install.ps1`` with ``install.cmd`` on Windows, ``install.sh`` elsewhere)
that makes a virtual environment in the user's own folder, installs with ``--no-index
--require-hashes`` and puts a ``kindcheck`` launcher on the user's PATH.

    python tools/bundle.py --platform win_amd64 -o dist          # dist/kindcheck-V-win_amd64.zip
    python tools/bundle.py --platform all -o dist                # the four platforms
    python tools/bundle.py --check --platform all                # every pin has a wheel there
    python tools/bundle.py --lock                                # regenerate requirements/*.lock

The locks (requirements/<platform>.lock) are committed. They are made by uv (``pip install
uv``; ``uv pip compile --generate-hashes --python-platform ...`` resolves for another OS, which
pip cannot), once per platform because the resolutions differ (cryptography has no recent
wheel for Intel Macs). Building needs only pip: ``pip download --only-binary=:all:
--platform ... --python-version ...`` with the lock's hashes, from the configured index or
pip's cache. ``--check`` asks the index (PEP 691 JSON, else the PEP 503 HTML page) which
files each pinned version has, and needs one wheel per platform and Python whose tags fit
and whose hash the lock holds.
"""

from __future__ import annotations

import argparse
import hashlib
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from packaging import tags
from packaging.requirements import Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK_DIR = ROOT / "requirements"
TEMPLATES = Path(__file__).resolve().parent / "installer"
PYTHONS = ("3.11", "3.12")
MACOS_MINIMUM = (12, 0)  # macOS 12 Monterey; uv resolves for the same (MACOSX_DEPLOYMENT_TARGET)
GLIBC_MINIMUM = 28  # manylinux_2_28: Debian 10, Ubuntu 20.04, RHEL 8 and later


@dataclass(frozen=True)
class Platform:
    name: str
    uv_target: str  # uv pip compile --python-platform
    platforms: tuple[str, ...]  # wheel platform tags this bundle accepts, best first
    windows: bool

    @property
    def lock(self) -> Path:
        return LOCK_DIR / f"{self.name}.lock"


def _manylinux(arch: str) -> tuple[str, ...]:
    modern = [f"manylinux_2_{minor}_{arch}" for minor in range(GLIBC_MINIMUM, 4, -1)]
    legacy = [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]
    return (*modern, *legacy)


PLATFORMS: dict[str, Platform] = {
    "win_amd64": Platform("win_amd64", "x86_64-pc-windows-msvc", ("win_amd64",), True),
    "macosx_arm64": Platform(
        "macosx_arm64",
        "aarch64-apple-darwin",
        tuple(tags.mac_platforms(MACOS_MINIMUM, "arm64")),
        False,
    ),
    "macosx_x86_64": Platform(
        "macosx_x86_64",
        "x86_64-apple-darwin",
        tuple(tags.mac_platforms(MACOS_MINIMUM, "x86_64")),
        False,
    ),
    "manylinux_x86_64": Platform(
        "manylinux_x86_64", f"x86_64-manylinux_2_{GLIBC_MINIMUM}", _manylinux("x86_64"), False
    ),
}


class BundleError(Exception):
    """Something the person building the bundle must fix (printed without a traceback)."""


# --------------------------------------------------------------------------------------------
# The lock files


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    hashes: frozenset[str]  # sha256 hex digests


_PIN_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def read_lock(text: str) -> list[Pin]:
    """The pins of a requirements file in pip's hash format (``name==v \\ --hash=...``)."""
    pins: list[Pin] = []
    logical = re.sub(r"\\\n", " ", text)
    for line in (raw.strip() for raw in logical.splitlines()):
        if not line or line.startswith("#"):
            continue
        match = _PIN_LINE.match(line)
        if not match:
            raise BundleError(f"lock line not understood: {line[:80]}")
        hashes = frozenset(_HASH.findall(line))
        if not hashes:
            raise BundleError(f"{match.group(1)} has no --hash in the lock")
        pins.append(Pin(canonicalize_name(match.group(1)), match.group(2), hashes))
    return pins


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    data = tomllib.loads(pyproject.read_text("utf-8"))
    return [Requirement(text) for text in data["project"]["dependencies"]]


def lock_problems(pins: Sequence[Pin], requirements: Iterable[Requirement]) -> list[str]:
    """What makes a lock disagree with pyproject.toml's dependencies (empty: it agrees)."""
    pinned = {pin.name: pin for pin in pins}
    problems = []
    for requirement in requirements:
        pin = pinned.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement.name} is a dependency but not in the lock")
        elif not requirement.specifier.contains(Version(pin.version), prereleases=True):
            problems.append(
                f"{requirement.name}=={pin.version} in the lock does not meet "
                f"pyproject.toml's {requirement}"
            )
    return problems


def make_locks(platforms: Sequence[Platform], upgrade: bool = False) -> None:
    """Regenerate the lock files with uv; the 3.11 and 3.12 resolutions must agree."""
    uv = shutil.which("uv")
    if uv is None:
        raise BundleError("making the locks needs uv: pip install uv")
    LOCK_DIR.mkdir(exist_ok=True)
    for platform in platforms:
        outputs = []
        for python in PYTHONS:
            target = platform.lock if python == PYTHONS[0] else None
            with tempfile.TemporaryDirectory() as scratch:
                output = target or Path(scratch) / "lock"
                if target is None and platform.lock.exists():
                    shutil.copy(platform.lock, output)  # keep the same pins where possible
                command = [
                    uv,
                    "pip",
                    "compile",
                    "pyproject.toml",
                    "--quiet",
                    "--generate-hashes",
                    "--only-binary",
                    ":all:",
                    "--python-platform",
                    platform.uv_target,
                    "--python-version",
                    python,
                    "--custom-compile-command",
                    "python tools/bundle.py --lock",
                    "--output-file",
                    str(output),
                    *(["--upgrade"] if upgrade else []),
                ]
                env = {**os.environ, "MACOSX_DEPLOYMENT_TARGET": "{}.{}".format(*MACOS_MINIMUM)}
                subprocess.run(command, cwd=ROOT, env=env, check=True)
                outputs.append(read_lock(output.read_text("utf-8")))
        if len({tuple(pins) for pins in outputs}) != 1:
            raise BundleError(
                f"{platform.name}: Python {' and '.join(PYTHONS)} resolve differently; "
                "give each its own lock"
            )
        print(f"{platform.lock.relative_to(ROOT)}: {len(outputs[0])} packages")


# --------------------------------------------------------------------------------------------
# Which wheels fit


def supported_tags(platform: Platform, python: str) -> set[tags.Tag]:
    version = tuple(int(part) for part in python.split("."))
    interpreter = f"cp{version[0]}{version[1]}"
    return {
        *tags.cpython_tags(version, abis=[interpreter], platforms=platform.platforms),
        *tags.compatible_tags(version, interpreter, platform.platforms),
    }


@dataclass(frozen=True)
class IndexFile:
    filename: str
    sha256: str | None


def wheel_problems(
    pins: Sequence[Pin],
    files: dict[str, list[IndexFile]],
    platform: Platform,
    pythons: Sequence[str] = PYTHONS,
) -> list[str]:
    """Pins without a wheel for the platform and each Python, whose hash the lock holds."""
    problems = []
    for python in pythons:
        accepted = supported_tags(platform, python)
        for pin in pins:
            fitting = []
            for file in files.get(pin.name, []):
                if not file.filename.endswith(".whl"):
                    continue
                try:
                    name, version, _build, wheel_tags = parse_wheel_filename(file.filename)
                except InvalidWheelFilename:  # old uploads named before the rules (py36+)
                    continue
                if name == pin.name and version == Version(pin.version) and wheel_tags & accepted:
                    fitting.append(file)
            if not fitting:
                problems.append(
                    f"{pin.name}=={pin.version}: no wheel for {platform.name}, Python {python}"
                )
            elif not any(file.sha256 in pin.hashes for file in fitting):
                problems.append(
                    f"{pin.name}=={pin.version}: the {platform.name} wheel for Python {python} "
                    "has a hash the lock does not hold"
                )
    return problems


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[IndexFile] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            url = urllib.parse.urlsplit(href)
            digest = url.fragment[len("sha256=") :] if url.fragment.startswith("sha256=") else None
            self.files.append(IndexFile(urllib.parse.unquote(url.path.rsplit("/", 1)[-1]), digest))


def index_files(name: str, index_url: str) -> list[IndexFile]:
    """The files an index (PEP 691 JSON, else PEP 503 HTML) lists for a project."""
    url = f"{index_url.rstrip('/')}/{name}/"
    request = urllib.request.Request(
        url,
        headers={
            "Accept": "application/vnd.pypi.simple.v1+json, "
            "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            kind = response.headers.get("Content-Type", "")
    except (urllib.error.URLError, TimeoutError) as error:
        raise BundleError(f"{url}: cannot be read ({error})") from None
    if "json" in kind:
        return [
            IndexFile(item["filename"], item.get("hashes", {}).get("sha256"))
            for item in json.loads(body)["files"]
        ]
    links = _Links()
    links.feed(body.decode("utf-8", "replace"))
    return links.files


def check_wheels(
    platforms: Sequence[Platform], index_url: str, pythons: Sequence[str] = PYTHONS
) -> list[str]:
    problems: list[str] = []
    requirements = runtime_requirements()
    locks = {platform.name: read_lock(platform.lock.read_text("utf-8")) for platform in platforms}
    names = sorted({pin.name for pins in locks.values() for pin in pins})
    with ThreadPoolExecutor(max_workers=8) as pool:
        files = dict(zip(names, pool.map(lambda n: index_files(n, index_url), names), strict=True))
    for platform in platforms:
        pins = locks[platform.name]
        found = lock_problems(pins, requirements) + wheel_problems(pins, files, platform, pythons)
        problems += [f"{platform.lock.relative_to(ROOT)}: {problem}" for problem in found]
        if not found:
            print(
                f"{platform.name}: {len(pins)} pinned packages, each with a wheel for Python "
                f"{' and '.join(pythons)}"
            )
    return problems


def default_index_url() -> str:
    return os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple"


# --------------------------------------------------------------------------------------------
# Building


def _pip(*arguments: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *arguments], check=True, env=env)


def kindcheck_version() -> str:
    text = (ROOT / "kindcheck" / "__init__.py").read_text("utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if not match:
        raise BundleError("kindcheck/__init__.py has no __version__")
    return match.group(1)


def build_wheel(into: Path) -> Path:
    """The kindcheck wheel, built from this checkout (setuptools and wheel must be installed:
    the test extra has them; no build isolation, so nothing is fetched for the build)."""
    _pip(
        "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(into), str(ROOT)
    )
    wheels = list(into.glob("kindcheck-*.whl"))
    if len(wheels) != 1:
        raise BundleError(f"expected one kindcheck wheel, found {len(wheels)}")
    return wheels[0]


def download_wheels(platform: Platform, pythons: Sequence[str], into: Path) -> None:
    for python in pythons:
        major, minor = python.split(".")
        platform_options = [option for tag in platform.platforms for option in ("--platform", tag)]
        _pip(
            "download",
            "--quiet",
            "--only-binary=:all:",
            "--no-deps",
            "--require-hashes",
            "--requirement",
            str(platform.lock),
            "--dest",
            str(into),
            "--implementation",
            "cp",
            "--python-version",
            python,
            "--abi",
            f"cp{major}{minor}",
            "--abi",
            "abi3",
            "--abi",
            "none",
            *platform_options,
        )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build(platform: Platform, output: Path, pythons: Sequence[str] = PYTHONS) -> Path:
    """Build ``kindcheck-<version>-<platform>.zip`` in ``output``; return its path."""
    version = kindcheck_version()
    pins = read_lock(platform.lock.read_text("utf-8"))
    problems = lock_problems(pins, runtime_requirements())
    if problems:
        raise BundleError(
            f"{platform.lock.name} is out of date ({'; '.join(problems)}): "
            "run python tools/bundle.py --lock"
        )
    unknown = [python for python in pythons if python not in PYTHONS]
    if unknown:
        raise BundleError(f"the locks are made for Python {', '.join(PYTHONS)}, not {unknown}")
    name = f"kindcheck-{version}-{platform.name}"
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kindcheck-bundle-") as scratch:
        folder = Path(scratch) / name
        wheels = folder / "wheels"
        wheels.mkdir(parents=True)
        own = build_wheel(wheels)
        download_wheels(platform, pythons, wheels)
        lock = platform.lock.read_text("utf-8").rstrip("\n")
        (folder / "requirements.lock").write_text(
            f"{lock}\nkindcheck=={version} \\\n    --hash=sha256:{sha256(own)}\n", "utf-8"
        )
        _write_installer(platform, pythons, folder)
        manifest = {
            "kindcheck": version,
            "platform": platform.name,
            "python": list(pythons),
            "built": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "wheels": sorted(path.name for path in wheels.iterdir()),
        }
        (folder / "bundle.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        archive = output / f"{name}.zip"
        _zip(folder, archive)
    return archive


def _write_installer(platform: Platform, pythons: Sequence[str], folder: Path) -> None:
    newest_first = sorted(pythons, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    readme = (TEMPLATES / "LEESMIJ.txt").read_text("utf-8")
    if platform.windows:
        script = (TEMPLATES / "install.ps1").read_text("utf-8")
        script = script.replace("@PYTHONS@", ", ".join(f"'{v}'" for v in newest_first))
        # Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page.
        (folder / "install.ps1").write_bytes(b"\xef\xbb\xbf" + _crlf(script))
        (folder / "install.cmd").write_bytes(_crlf((TEMPLATES / "install.cmd").read_text("utf-8")))
        (folder / "LEESMIJ.txt").write_bytes(_crlf(readme))
    else:
        script = (TEMPLATES / "install.sh").read_text("utf-8")
        (folder / "install.sh").write_text(script.replace("@PYTHONS@", " ".join(newest_first)))
        (folder / "LEESMIJ.txt").write_text(readme, "utf-8")


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _zip(folder: Path, archive: Path) -> None:
    partial = archive.with_name(archive.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo.from_file(path, f"{folder.name}/{path.relative_to(folder)}")
            mode = 0o755 if path.suffix == ".sh" else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = (
                zipfile.ZIP_STORED if path.suffix == ".whl" else zipfile.ZIP_DEFLATED
            )
            bundle.writestr(info, path.read_bytes())
    partial.replace(archive)


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/bundle.py",
        description="Build the offline install bundle (a zip per platform), check that every "
        "pinned dependency has a wheel for each platform, or regenerate the lock files.",
    )
    parser.add_argument(
        "--platform",
        action="append",
        choices=[*PLATFORMS, "all"],
        help="win_amd64, macosx_arm64, macosx_x86_64, manylinux_x86_64 or all (repeatable)",
    )
    parser.add_argument("-o", "--output", type=Path, metavar="DIR", help="where the zip goes")
    parser.add_argument(
        "--python",
        action="append",
        choices=PYTHONS,
        help=f"Python version(s) to include (default: {' and '.join(PYTHONS)})",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--check",
        action="store_true",
        help="ask the index whether every pinned package has a wheel for the platforms",
    )
    action.add_argument("--lock", action="store_true", help="regenerate requirements/*.lock (uv)")
    parser.add_argument("--upgrade", action="store_true", help="with --lock: newest versions")
    parser.add_argument(
        "--index-url", default=None, help="with --check: the index (default PIP_INDEX_URL or PyPI)"
    )
    args = parser.parse_args(argv)
    chosen = args.platform or (["all"] if args.lock or args.check else [])
    platforms = list(PLATFORMS.values()) if "all" in chosen else [PLATFORMS[p] for p in chosen]
    pythons = tuple(args.python or PYTHONS)
    try:
        if args.lock:
            make_locks(platforms, upgrade=args.upgrade)
            return 0
        if not platforms:
            parser.error("choose --platform")
        if args.check:
            problems = check_wheels(platforms, args.index_url or default_index_url(), pythons)
            for problem in problems:
                print(problem, file=sys.stderr)
            return 1 if problems else 0
        if args.output is None:
            parser.error("give the output folder with -o DIR")
        for platform in platforms:
            archive = build(platform, args.output, pythons)
            print(f"{archive} ({archive.stat().st_size / 1e6:.1f} MB)")
    except BundleError as error:
        print(f"bundle: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"bundle: {error.cmd[0]} failed (exit {error.returncode})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
