"""Unlock and load N stored sessions, against the same JSON read from a plain SQLite table.

    python benchmarks/bench_vault.py [--sessions 10000] [--repeat 5]

Stores N synthetic sessions (answers walked through the shipped questionnaires with random
answers, plus their computed outcome: 2-4 KB of JSON each) in a fresh vault in a private
temporary folder, and the very same header and body JSON texts in an unencrypted SQLite table.
Then, alternating, it times

- vault: ``Store.unlock`` + ``list(store.iter_sessions())`` + ``close`` (lock file, header
  check, key slots, Argon2id, every row decrypted, parsed and turned into dataclasses);
- plain: connect + ``SELECT`` + ``json.loads`` of both columns for every row;

and reports, per round, the key derivation measured inside that same unlock, and the ratio
(vault - key derivation) / plain. Target: at most 1.5, so encryption at rest costs a user
at most half again the time of reading the same data unencrypted. The median round counts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from kindcheck import store as store_module  # noqa: E402
from kindcheck.answers import format_version_for, session_from_dict  # noqa: E402
from kindcheck.outcome import compute_outcome, outcome_to_json  # noqa: E402
from kindcheck.questionnaire import Walker, load_shipped  # noqa: E402
from kindcheck.store import Store  # noqa: E402
from kindcheck.store import keys as store_keys  # noqa: E402
from kindcheck.store.records import _summary_data  # noqa: E402

PASSPHRASE = "benchmark passphrase, not secret"
TEMPLATES = 60  # distinct walked sessions; each stored session varies one of them
NOTES = (
    "Moeder vertelt dat de oudste dochter veel zorgtaken op zich neemt sinds de opname.",
    "Vader werkt in ploegendienst; de oma past drie dagen per week op de kinderen.",
    "Afgesproken om bij het volgende gesprek de school te betrekken, met toestemming.",
    "Client maakt zich zorgen over de schulden en de dreigende afsluiting van energie.",
)


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
            return (when - timedelta(days=rng.randint(200, 6000))).isoformat()
        return (when + timedelta(days=rng.randint(30, 200))).isoformat()
    return rng.choice(NOTES)[: 200 if kind == "text" else 5000]


def _walk(
    questionnaire_id: str,
    rng: random.Random,
    when: date,
    fixed: dict[str, Any],
    main: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Walk the newest questionnaire (what a new session gets); a scan takes ``main``'s
    answers for its same_as questions."""
    questionnaire = load_shipped(questionnaire_id)
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
        value = fixed.get(question.id, _answer(question, rng, when))
        walker.answer(step, value)
    return {"id": questionnaire.id, "version": questionnaire.version, "answers": walker.answers}


def synthetic_templates(rng: random.Random) -> list[tuple[dict[str, Any], Any]]:
    """Validated intake and follow-up sessions with their outcomes."""
    templates = []
    for number in range(TEMPLATES):
        when = date(2025, 1, 6) + timedelta(days=rng.randint(0, 600))
        if number % 3 == 2:
            main = _walk("vervolggesprek", rng, when, {"repeat_scan": "yes"})
            kind = "followup"
        else:
            main = _walk("kindcheck", rng, when, {"has_minor_children": "yes"})
            kind = "intake"
        parts = [main, _walk("probleemscan", rng, when, {}, main)]
        data = {
            "format": "kindcheck-answers",
            "format_version": format_version_for(
                load_shipped(part["id"], part["version"]) for part in parts
            ),
            "kind": kind,
            "client": {"reference": f"EPD-{number:06d}", "name": "Synthetische Cliënt"},
            "setting": "ggz",
            "date": when.isoformat(),
            "questionnaires": parts,
        }
        session = session_from_dict(data)
        templates.append((session.to_dict(), outcome_to_json(compute_outcome(session), "nl")))
    return templates


def fill(
    data_dir: Path, plain_path: Path, sessions: int, rng: random.Random
) -> tuple[float, float]:
    """Store the sessions in a new vault and the same JSON in a plain table; mean answers and
    body (answers + outcome) sizes in bytes."""
    templates = synthetic_templates(rng)
    vault, _recovery = Store.create(data_dir, PASSPHRASE, "benchmark")
    plain = sqlite3.connect(plain_path, isolation_level=None)
    plain.execute("CREATE TABLE session (id TEXT PRIMARY KEY, header TEXT, body TEXT)")
    sizes, answer_sizes = [], []
    try:
        clients = []
        with vault.batch():
            for number in range(max(1, sessions // 4)):
                clients.append(vault.add_client(f"EPD-{number:06d}", f"Cliënt {number}").id)
        plain.execute("BEGIN")
        for start in range(0, sessions, 1000):
            with vault.batch():
                for _ in range(start, min(sessions, start + 1000)):
                    answers, outcome = rng.choice(templates)
                    answers = json.loads(json.dumps(answers))
                    answers["client"]["reference"] = f"EPD-{rng.randint(0, 10**6):06d}"
                    summary = vault.save_session(rng.choice(clients), answers, outcome)
                    header = _summary_data(summary)
                    body = {"answers": answers, "outcome": outcome}
                    body_text = json.dumps(
                        body, ensure_ascii=False, sort_keys=True, separators=(",", ":")
                    )
                    sizes.append(len(body_text.encode("utf-8")))
                    answer_sizes.append(len(json.dumps(answers, ensure_ascii=False).encode()))
                    plain.execute(
                        "INSERT INTO session VALUES (?, ?, ?)",
                        (
                            summary.id,
                            json.dumps(header, sort_keys=True, separators=(",", ":")),
                            body_text,
                        ),
                    )
        plain.execute("COMMIT")
    finally:
        vault.close()
        plain.close()
    return statistics.mean(answer_sizes), statistics.mean(sizes)


def time_plain(plain_path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    conn = sqlite3.connect(plain_path)
    loaded = [
        (row[0], json.loads(row[1]), json.loads(row[2]))
        for row in conn.execute("SELECT id, header, body FROM session")
    ]
    conn.close()
    return time.perf_counter() - started, len(loaded)


def time_vault(data_dir: Path) -> tuple[float, float, int]:
    """Total unlock-and-load time, and the key derivation inside it."""
    derivation = 0.0
    original = store_keys.open_slot

    def timed_open_slot(*args: Any, **kwargs: Any) -> bytes:
        nonlocal derivation
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            derivation += time.perf_counter() - started

    store_keys.open_slot = timed_open_slot  # where the store looks it up
    try:
        started = time.perf_counter()
        vault = Store.unlock(data_dir, PASSPHRASE)
        loaded = list(vault.iter_sessions())
        vault.close()
        total = time.perf_counter() - started
    finally:
        store_keys.open_slot = original
    return total, derivation, len(loaded)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="kindcheck-bench-") as folder:
        data_dir, plain_path = Path(folder) / "vault", Path(folder) / "plain.db"
        started = time.perf_counter()
        mean_answers, mean_body = fill(data_dir, plain_path, args.sessions, rng)
        print(
            f"stored {args.sessions} sessions (JSON per session: answers "
            f"{mean_answers / 1024:.1f} KiB, with the outcome {mean_body / 1024:.1f} KiB) "
            f"in {time.perf_counter() - started:.1f} s; vault file "
            f"{os.path.getsize(data_dir / store_module.DB_NAME) / 2**20:.1f} MiB, plain "
            f"{os.path.getsize(plain_path) / 2**20:.1f} MiB"
        )
        time_plain(plain_path)  # warm the OS cache for both files equally
        time_vault(data_dir)
        ratios, rows = [], []
        for _ in range(args.repeat):
            plain_s, plain_n = time_plain(plain_path)
            vault_s, kdf_s, vault_n = time_vault(data_dir)
            if plain_n != vault_n:
                raise SystemExit(f"loaded {vault_n} sessions from the vault, {plain_n} plain")
            ratio = (vault_s - kdf_s) / plain_s
            ratios.append(ratio)
            rows.append((vault_s, kdf_s, plain_s, ratio))
        print(
            f"{'unlock+load':>12} {'key deriv.':>11} {'beyond KDF':>11} {'plain load':>11} "
            f"{'ratio':>6}"
        )
        for vault_s, kdf_s, plain_s, ratio in rows:
            print(
                f"{vault_s:11.3f}s {kdf_s:10.3f}s {vault_s - kdf_s:10.3f}s {plain_s:10.3f}s "
                f"{ratio:6.2f}"
            )
        median = statistics.median(ratios)
        verdict = "within" if median <= 1.5 else "OVER"
        print(f"median ratio beyond key derivation: {median:.2f}x ({verdict} the 1.5x target)")
        return 0 if median <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
