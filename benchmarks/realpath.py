"""What the real-path benchmarks share: a vault built once per size, children timed in pairs.

Not a benchmark itself. Each ``bench_*.py`` beside it that runs what a user runs imports this
module (they run as scripts, so this folder is on ``sys.path``).

The vault
    :func:`cached_vault` builds a vault of N sessions through the public API, the way sessions
    reach a real vault: ``record_session`` (client found or added, outcome, Meldcode steps,
    follow-up plan), a batch of sessions per transaction and one unlock for the whole build.
    Clients have an intake and then follow-up conversations about three months apart (five
    sessions per client on average); answers are walked through the shipped questionnaires
    (versions 1 and 2) with random answers. Next to it, ``plain.db`` holds the same header and
    body JSON unencrypted (the baseline of "unlock + iter_sessions"). Built once per size and
    seed under the cache folder (``--cache DIR``, default a folder in the system's temporary
    directory) and reused; every run works on a fresh copy of it, so a benchmark never
    changes the cache (and a vault made by an older Kindcheck is upgraded in the copy, which
    is timed and printed once).

The timing
    :func:`measure` runs each variant (the command and its baselines) as a child process,
    interleaved round by round (the order rotates each round), after one untimed warm-up run
    each (bytecode and the OS file cache warm for all alike). Per variant: the median wall time
    and the peak RSS of the child (``os.wait4``: that child's own resource usage). POSIX only
    (``os.wait4``); the benchmarks say so on Windows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PASSPHRASE = "benchmark passphrase, not a secret"
SESSIONS_PER_CLIENT = 5
TEMPLATES = 48  # distinct walked sessions per kind; each stored session varies one of them
BATCH = 250  # sessions per transaction while building
FIRST_DAY = date(2024, 1, 8)
NOTES = (
    "Moeder vertelt dat de oudste dochter veel zorgtaken op zich neemt sinds de opname.",
    "Vader werkt in ploegendienst; de oma past drie dagen per week op de kinderen.",
    "Afgesproken om bij het volgende gesprek de school te betrekken, met toestemming.",
    "Cliënt maakt zich zorgen over de schulden en de dreigende afsluiting van energie.",
)


def supported() -> str | None:
    """Why the benchmarks cannot run here, or None."""
    if not hasattr(os, "wait4"):
        return "the real-path benchmarks need os.wait4 (Linux or macOS)"
    return None


# --------------------------------------------------------------------------------------------
# Building the vault


def _answer(question: Any, rng: random.Random, when: date) -> Any:
    kind = question.type
    if question.id == "child_count":
        return rng.randint(1, 4)
    if kind == "yesno":
        return rng.choices(("no", "yes", "unknown"), weights=(6, 3, 1))[0]
    if kind == "choice":
        return rng.choice(question.options).id
    if kind == "multi":
        chosen = rng.sample(question.options, k=min(2, len(question.options)))
        exclusive = [option.id for option in chosen if option.exclusive]
        return exclusive[:1] or [option.id for option in chosen]
    if kind == "number":
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else 20
        return rng.randint(low, high)
    if kind == "date":
        if question.role == "child_birth_date":
            # Born well before any session date of the benchmark, and under 18 at the first.
            return (FIRST_DAY - timedelta(days=rng.randint(200, 5500))).isoformat()
        return (when + timedelta(days=rng.randint(30, 200))).isoformat()
    return rng.choice(NOTES)[: 200 if kind == "text" else 5000]


def _birth_date(questionnaire: Any, walker: Any, step: Any, rng: random.Random, when: date) -> str:
    """A birth date that fits the child's age given on ``when`` (a session whose two disagree
    is refused): the child turned that age up to 200 days before."""
    from dateutil.relativedelta import relativedelta

    from kindcheck.questionnaire import Step

    age_question = questionnaire.by_role("child_age")
    age = walker.get(Step(age_question, step.item)) if age_question is not None else None
    years = age if isinstance(age, int) else rng.randint(1, 15)
    return (when - relativedelta(years=years, days=rng.randint(1, 200))).isoformat()


def fit_birth_dates(answers: dict[str, Any], when: date) -> None:
    """A template's children born so that their ages hold on ``when`` (a template is reused on
    many days; a session whose ages and birth dates disagree is refused)."""
    from dateutil.relativedelta import relativedelta

    for part in answers["questionnaires"]:
        for child in part["answers"].get("children", []) or []:
            age = child.get("child_age")
            if isinstance(age, int) and child.get("child_birth_date"):
                child["child_birth_date"] = (when - relativedelta(years=age, days=30)).isoformat()


def _walk(
    questionnaire_id: str,
    version: int,
    rng: random.Random,
    when: date,
    fixed: dict[str, Any],
    main: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from kindcheck.questionnaire import Walker, load_shipped

    questionnaire = load_shipped(questionnaire_id, version)
    main_answers = None
    if main is not None and questionnaire.format == 2:
        main_questionnaire = load_shipped(main["id"], main["version"])
        main_answers = Walker(
            main_questionnaire, {"setting": "ggz"}, main["answers"]
        ).visible_answers()
    walker = Walker(questionnaire, {"setting": "ggz"}, {}, main_answers)
    for _ in range(1000):
        step = walker.first_unanswered()
        if step is None:
            break
        question = step.question
        if question.type == "date" and question.role == "child_birth_date":
            walker.answer(step, _birth_date(questionnaire, walker, step, rng, when))
            continue
        walker.answer(step, fixed.get(question.id, _answer(question, rng, when)))
    return {"id": questionnaire.id, "version": questionnaire.version, "answers": walker.answers}


def _templates(rng: random.Random, kind: str) -> list[dict[str, Any]]:
    """Answers of validated sessions of ``kind`` (half questionnaire version 1, half 2)."""
    from kindcheck.answers import format_version_for, session_from_dict
    from kindcheck.questionnaire import load_shipped

    found = []
    for number in range(TEMPLATES):
        version = 1 + number % 2
        scan = kind == "intake" or rng.random() < 0.5
        if kind == "followup":
            fixed = {"repeat_scan": "yes" if scan else "no"}
            main = _walk("vervolggesprek", version, rng, FIRST_DAY, fixed)
        else:
            main = _walk("kindcheck", version, rng, FIRST_DAY, {"has_minor_children": "yes"})
        parts = [main]
        if scan:
            parts.append(_walk("probleemscan", version, rng, FIRST_DAY, {}, main))
        data = {
            "format": "kindcheck-answers",
            "format_version": format_version_for(
                load_shipped(part["id"], part["version"]) for part in parts
            ),
            "kind": kind,
            "client": {"reference": "EPD-TEMPLATE", "name": None},
            "setting": "ggz",
            "date": FIRST_DAY.isoformat(),
            "questionnaires": parts,
        }
        found.append(session_from_dict(data).to_dict())
    return found


def _sessions(count: int, rng: random.Random) -> Iterator[tuple[int, int, date]]:
    """(client number, session number of that client, date) for ``count`` sessions."""
    clients = max(1, -(-count // SESSIONS_PER_CLIENT))
    firsts = [FIRST_DAY + timedelta(days=rng.randint(0, 540)) for _ in range(clients)]
    made = 0
    round_number = 0
    while made < count:
        for client in range(clients):
            if made == count:
                return
            when = firsts[client] + timedelta(days=round_number * 91 + rng.randint(0, 20))
            yield client, round_number, when
            made += 1
        round_number += 1


def build(data_dir: Path, plain_path: Path, count: int, seed: int) -> dict[str, Any]:
    """A vault of ``count`` sessions in ``data_dir`` and their JSON in ``plain_path``."""
    from kindcheck.answers import session_from_dict
    from kindcheck.outcome import compute_outcome
    from kindcheck.service.recording import record_session
    from kindcheck.store import Store

    rng = random.Random(seed)
    templates = {kind: _templates(rng, kind) for kind in ("intake", "followup")}
    started = time.perf_counter()
    store, _recovery = Store.create(data_dir, PASSPHRASE, "benchmark")
    try:
        pending = list(_sessions(count, rng))
        for start in range(0, len(pending), BATCH):
            with store.batch():
                for client, number, when in pending[start : start + BATCH]:
                    kind = "intake" if number == 0 else "followup"
                    answers = json.loads(json.dumps(rng.choice(templates[kind])))
                    answers["client"] = {"reference": f"EPD-{client:07d}", "name": None}
                    if number == 0:
                        answers["client"]["name"] = f"Cliënt {client}"
                    answers["date"] = when.isoformat()
                    fit_birth_dates(answers, when)
                    session = session_from_dict(answers)
                    outcome = compute_outcome(session)
                    steps = None
                    if outcome.has_safety_signal and rng.random() < 0.7:
                        steps = {"map_signals": when, "consult": None}
                    record_session(store, session, outcome, "nl", meldcode_steps=steps)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    write_plain(data_dir, plain_path)
    return {"sessions": count, "seconds": round(seconds, 1)}


def write_plain(data_dir: Path, plain_path: Path) -> None:
    """The sessions' header and body JSON, unencrypted, read back through the store."""
    from kindcheck.store import Store

    plain = sqlite3.connect(plain_path, isolation_level=None)
    plain.execute("CREATE TABLE session (id TEXT PRIMARY KEY, header TEXT, body TEXT)")
    plain.execute("BEGIN")
    with Store.unlock(data_dir, PASSPHRASE) as store:
        for stored in store.iter_sessions():
            summary = stored.summary
            header = {
                "kind": summary.kind,
                "date": summary.session_date.isoformat(),
                "setting": summary.setting,
                "questionnaires": [list(item) for item in summary.questionnaires],
                "scan_done": summary.scan_done,
                "problem_domain_count": summary.problem_domain_count,
                "safety_signal": summary.safety_signal,
                "parenting_support_flag": summary.parenting_support_flag,
                "followup_rhythm": summary.followup_rhythm,
                "saved_at": summary.saved_at.isoformat(),
            }
            body = {"answers": stored.answers, "outcome": stored.outcome}
            plain.execute(
                "INSERT INTO session VALUES (?, ?, ?)",
                (
                    stored.id,
                    json.dumps(header, sort_keys=True, separators=(",", ":")),
                    json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                ),
            )
    plain.execute("COMMIT")
    plain.close()


@dataclass(frozen=True)
class Vault:
    """A working copy of a cached vault, and where its companions are."""

    folder: Path  # the working folder (deleted afterwards)
    data_dir: Path
    plain: Path
    sessions: int
    env: Mapping[str, str]

    def kindcheck(self, *args: str) -> list[str]:
        """The argv of ``kindcheck --data-dir <vault> --lang en ARGS``."""
        return [
            sys.executable,
            "-m",
            "kindcheck",
            "--data-dir",
            str(self.data_dir),
            "--lang",
            "en",
            *args,
        ]


def default_cache() -> Path:
    return Path(tempfile.gettempdir()) / "kindcheck-bench-cache"


def _env(folder: Path) -> dict[str, str]:
    secret = folder / "passphrase.txt"
    if not secret.exists():
        secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
        secret.chmod(0o600)
    env = dict(os.environ)
    env.update(
        KINDCHECK_PASSPHRASE_FILE=str(secret),
        KINDCHECK_STATE_DIR=str(folder / "state"),
        PYTHONDONTWRITEBYTECODE="",
    )
    env.pop("PYTHONDONTWRITEBYTECODE")
    return env


@contextmanager
def cached_vault(cache: Path | None, sessions: int, seed: int = 2026) -> Iterator[Vault]:
    """A working copy of the vault of ``sessions`` sessions (built first if not cached)."""
    cache = (cache or default_cache()).resolve()
    built = cache / f"sessions-{sessions}-seed-{seed}"
    if not (built / "built.json").exists():
        shutil.rmtree(built, ignore_errors=True)
        built.mkdir(parents=True)
        os.environ.update(_env(cache))  # the build's own rollback counter stays in the cache
        print(f"building a vault of {sessions:,} sessions in {built} (once) ...", flush=True)
        info = build(built / "vault", built / "plain.db", sessions, seed)
        (built / "built.json").write_text(json.dumps(info), encoding="utf-8")
        print(f"built in {info['seconds']} s", flush=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=cache))
    try:
        shutil.copytree(built / "vault", work / "vault")
        (work / "vault" / "kindcheck.lock").unlink(missing_ok=True)
        yield Vault(work, work / "vault", built / "plain.db", sessions, _env(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Running and timing children


@dataclass(frozen=True)
class Run:
    seconds: float  # wall time, start to exit
    cpu: float  # the child's CPU time (user + system): what a shared machine does not inflate
    peak_mib: float
    stdout: str


def run_child(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> Run:
    """Run one child to its end: wall time, its own peak RSS, its output (it must succeed)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(list(argv), stdout=out, stderr=err, env=dict(env), cwd=cwd)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:8])} ... failed ({child.returncode}):\n{stderr[-3000:]}")
    # ru_maxrss: KiB on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak, stdout)


@dataclass
class Variant:
    name: str
    argv: Sequence[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """The median wall time, or CPU time under ``--clock cpu`` (what the targets use)."""
        if CLOCK["cpu"]:
            return self.cpu
        return statistics.median(run.seconds for run in self.runs)

    @property
    def wall(self) -> float:
        """The median wall time, whatever ``--clock`` says."""
        return statistics.median(run.seconds for run in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(run.peak_mib for run in self.runs)

    @property
    def spread(self) -> tuple[float, float]:
        times = [run.seconds for run in self.runs]
        return min(times), max(times)


def measure(variants: Sequence[Variant], vault: Vault, rounds: int, warm_up: bool = True) -> None:
    """Warm up each variant once (unless ``warm_up`` is False: one round of a very slow
    command), then run them interleaved for ``rounds`` rounds."""
    for variant in variants if warm_up else ():
        run_child(variant.argv, vault.env, vault.folder)
    for number in range(rounds):
        shift = number % len(variants)
        for variant in [*variants[shift:], *variants[:shift]]:
            variant.runs.append(run_child(variant.argv, vault.env, vault.folder))


def report(variants: Sequence[Variant]) -> None:
    """Per variant: the median wall time, its spread, the median CPU time and the peak RSS.
    On a machine shared with other work the wall time grows and the CPU time hardly does:
    the load average is printed with them."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{'':24} {'median':>9} {'min':>8} {'max':>8} {'CPU':>8} {'peak RSS':>10}")
    for variant in variants:
        low, high = variant.spread
        print(
            f"{variant.name:24} {variant.wall:8.3f}s {low:7.3f}s {high:7.3f}s "
            f"{variant.cpu:7.3f}s {variant.peak_mib:7.0f} MiB"
        )
    print(f"(load average {load:.1f} on {os.cpu_count()} CPUs)")
    if CLOCK["cpu"]:
        print("(--clock cpu: the ratios and targets below use CPU time, not wall time)")


def verdict(name: str, value: float, target: float, unit: str = "x", loose: float = 1.0) -> bool:
    """Print one target line; whether it holds (within ``loose`` times the target)."""
    limit = target * loose
    holds = value <= limit
    shown = f"{value:.2f}{unit}" if unit == "x" else f"{value:.2f} {unit}"
    scope = f" (loosely: {limit:.2f})" if loose != 1.0 else ""
    print(
        f"{name}: {shown}, target <= {target:g}{unit if unit == 'x' else ' ' + unit}{scope}: "
        f"{'holds' if holds else 'MISSED'}"
    )
    return holds


# --------------------------------------------------------------------------------------------
# The baselines' children (plain Python, no Kindcheck beyond what each says)

# The command line read as the command reads it (its parser built, the words parsed: what
# every command's start does before its handler runs; until issue 17's second round this
# baseline skipped it), the vault unlocked and opened, and nothing done.
UNLOCK_ONLY = """
import sys
from kindcheck.cli.common import resolve_language, unlock
from kindcheck.cli.parser import build_parser
from kindcheck.cli.usage import argparse_language
words = ["--data-dir", sys.argv[1], "--lang", "en", "list"]
lang = resolve_language(words)
with argparse_language(lang):
    args = build_parser(lang).parse_args(words)
with unlock(args) as service, service.store():
    pass
"""

PLAIN_READ = """
import sqlite3, sys
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
total = 0
for table, columns in (("client", "id, data"), ("session", "id, client_id, header, body, meldcode"),
                       ("followup_plan", "id, client_id, data")):
    for row in conn.execute(f"SELECT {columns} FROM {table}"):
        total += len(row[-1])
conn.close()
print(total)
"""

PLAIN_JSON = """
import json, os, sqlite3, sys
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
loaded = [(row[0], json.loads(row[1]), json.loads(row[2]))
          for row in conn.execute("SELECT id, header, body FROM session")]
conn.close()
print(len(loaded), flush=True)
os._exit(0)  # as the vault's child (bench_vault.py): the freeing at exit is not measured
"""

# Every record of every table read and decrypted (AES-256-GCM with the record's associated
# data, as the vault's RecordCipher does) and its JSON parsed: the least any check of every
# record can do. The key comes from the passphrase slot (the KDF), as for every command. Every
# table verify decrypts: the sessions' facts records (storage schema 4), drafts, amendments
# and the sealed meta records too (until issue 17's second round the facts, one small record
# per session, were left out, so verify was held to less work than it has to do).
PLAIN_DECRYPT = """
import json, sqlite3, struct, sys
from kindcheck.vault import KeySlot, RecordCipher, open_slot
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = conn.execute("SELECT kind, slot FROM key_slot")
slot = next(KeySlot.from_json(text) for (kind, text) in rows if kind == "passphrase")
cipher = RecordCipher(open_slot(slot, sys.argv[2]))
def load(label, record, blob, version):
    plain = cipher.decrypt(label, record, blob, version)
    if version == 2:
        length = struct.unpack_from(">I", plain, 11)[0]
        plain = plain[15:15 + length]
    return json.loads(plain)
count = 0
for rid, version, data in conn.execute("SELECT id, format_version, data FROM client"):
    load("client", rid, data, version); count += 1
for rid, cid, version, header, body, steps in conn.execute(
        "SELECT id, client_id, format_version, header, body, meldcode FROM session"):
    parent = f"{rid}/{cid}"
    load("session.header", parent, header, version)
    load("session.body", parent, body, version)
    load("session.meldcode", parent, steps, version); count += 1
plans = conn.execute("SELECT id, client_id, format_version, data FROM followup_plan")
for rid, cid, version, data in plans:
    load("followup_plan", f"{rid}/{cid}", data, version); count += 1
for rid, version, data in conn.execute("SELECT id, format_version, data FROM access_log"):
    load("access_log", rid, data, version); count += 1
for cid, rid, version, data in conn.execute(
        "SELECT client_id, id, format_version, data FROM session_facts"):
    load("session.facts", f"{rid}/{cid}", data, version); count += 1
for rid, ref, version, data in conn.execute(
        "SELECT id, ref_index, format_version, data FROM draft"):
    load("draft", f"{rid}/{ref or '-'}", data, version); count += 1
for rid, sid, version, data in conn.execute(
        "SELECT id, session_id, format_version, data FROM amendment"):
    load("amendment", f"{rid}/{sid}", data, version); count += 1
for name, version, data in conn.execute("SELECT name, format_version, value FROM meta"):
    if name != "schema_version":
        load("meta", name, data, version)
conn.close()
print(count)
"""


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


# Which clock Variant.seconds reads (set by --clock).
CLOCK = {"cpu": False}


class _ClockAction(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        CLOCK["cpu"] = values == "cpu"
        setattr(namespace, self.dest, values)


def common_arguments(parser: Any, default_sessions: int = 10_000) -> None:
    parser.add_argument("--sessions", type=int, default=default_sessions)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (medians)")
    parser.add_argument("--cache", type=Path, default=None, help="folder for the built vaults")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--no-warm-up",
        dest="warm_up",
        action="store_false",
        help="skip the untimed first run of each variant (for one round of a slow command)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        action=_ClockAction,
        help="judge the commands by wall time (default) or by their CPU time: on a machine "
        "shared with other work the wall time grows with the load and the CPU time hardly "
        "does (the CI smoke run uses cpu)",
    )
    parser.add_argument(
        "--loose",
        type=float,
        default=1.0,
        help="accept up to this many times each target (the CI smoke run uses 3)",
    )


def upgrade_once(vault: Vault) -> None:
    """Open the working copy once, untimed by the rounds: a vault cached by an older
    Kindcheck is upgraded here (printed with its time)."""
    started = time.perf_counter()
    run = run_child(python(UNLOCK_ONLY, str(vault.data_dir)), vault.env, vault.folder)
    print(
        f"vault of {vault.sessions:,} sessions, "
        f"{(vault.data_dir / 'kindcheck.db').stat().st_size / 2**20:.0f} MiB; first open "
        f"{time.perf_counter() - started:.2f} s (peak {run.peak_mib:.0f} MiB)",
        flush=True,
    )


def main_guard(work: Callable[[], int]) -> int:
    reason = supported()
    if reason is not None:
        print(reason, file=sys.stderr)
        return 2
    return work()
