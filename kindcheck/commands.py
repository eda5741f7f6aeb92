"""The commands that open the vault: init, record, list, verify, passwd, backup, restore, log.

Imported by kindcheck.cli when the parser is built, so this module imports nothing heavy at
the top: the store (SQLModel, SQLAlchemy, cryptography) is imported inside each command and
``kindcheck --help`` stays fast.

Secrets (passphrase, recovery key) come from, in this order:

1. ``--passphrase-stdin``: lines of standard input, one secret per line (only the line end is
   removed). ``passwd``: line 1 the current passphrase, line 2 the new one. ``passwd
   --recovery``: line 1 the recovery key, line 2 the new passphrase. ``init``: line 1 the new
   passphrase.
2. ``KINDCHECK_PASSPHRASE_FILE``: the lines of that file, in the same order (most commands read
   only the first line).
3. The terminal (getpass, nothing echoed). A new passphrase is asked twice there.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.errors import KindcheckError

if TYPE_CHECKING:
    from kindcheck.service.recording import Recorded
    from kindcheck.store import Store

PASSPHRASE_FILE_ENV = "KINDCHECK_PASSPHRASE_FILE"

# The few lines this module prints itself, in both languages (outcome texts come from
# kindcheck.outcome / the message catalog).
_TEXT: dict[str, dict[str, str]] = {
    "created": {
        "nl": "Kluis aangemaakt in {path}.",
        "en": "Vault created in {path}.",
    },
    "recovery": {
        "nl": "HERSTELSLEUTEL: schrijf hem nu op en bewaar hem veilig, niet bij deze laptop.\n"
        "Hij wordt alleen nu getoond. Ben je het wachtwoord kwijt, dan stel je er met\n"
        "`kindcheck passwd --recovery` een nieuw mee in. Wie hem heeft, kan de kluis openen.",
        "en": "RECOVERY KEY: write it down now and keep it safe, away from this laptop.\n"
        "It is shown only this once. If you forget your passphrase, it sets a new one\n"
        "with `kindcheck passwd --recovery`. Anyone who has it can open the vault.",
    },
    "saved": {
        "nl": "Opgeslagen: {kind} van {date} voor cliënt {reference}{new}.",
        "en": "Saved: {kind} of {date} for client {reference}{new}.",
    },
    "new_client": {"nl": " (nieuwe cliënt)", "en": " (new client)"},
    "plan_new": {
        "nl": "Vervolgplan gemaakt. Volgend gesprek over de kinderen: {when}.",
        "en": "Follow-up plan made. Next conversation about the children: {when}.",
    },
    "plan_more_frequent": {
        "nl": "Vervolgplan vaker gezet ({rhythm}). Volgend gesprek: {when}.",
        "en": "Follow-up plan made more frequent ({rhythm}). Next conversation: {when}.",
    },
    "plan_unchanged": {
        "nl": "Vervolgplan ongewijzigd. Volgend gesprek: {when}.",
        "en": "Follow-up plan unchanged. Next conversation: {when}.",
    },
    "plan_ended": {
        "nl": "Het vervolgplan heeft geen gesprekken meer.",
        "en": "The follow-up plan has no further conversations.",
    },
    "no_clients": {"nl": "Nog geen cliënten.", "en": "No clients yet."},
    "list_header": {
        "nl": "REFERENTIE|NAAM|SESSIES|LAATSTE|SOORT|DOMEINEN",
        "en": "REFERENCE|NAME|SESSIONS|LAST|KIND|DOMAINS",
    },
    "verify_ok": {
        "nl": "In orde: het bestand is heel en alle {count} records zijn te ontsleutelen.",
        "en": "OK: the file is intact and all {count} records decrypt.",
    },
    "verify_bad": {
        "nl": "{count} probleem/problemen gevonden. Zet een reservekopie terug "
        "(`kindcheck restore`) of vraag hulp.",
        "en": "{count} problem(s) found. Restore a backup (`kindcheck restore`) or ask for help.",
    },
    "passwd_done": {
        "nl": "Wachtwoord gewijzigd. Het oude wachtwoord werkt niet meer.",
        "en": "Passphrase changed. The old passphrase no longer works.",
    },
    "recovered": {
        "nl": "Nieuw wachtwoord ingesteld met de herstelsleutel. Het oude werkt niet meer; "
        "de herstelsleutel blijft geldig.",
        "en": "New passphrase set with the recovery key. The old one no longer works; the "
        "recovery key stays valid.",
    },
    "backup_done": {
        "nl": "Reservekopie geschreven naar {path} (versleuteld; opent met het huidige "
        "wachtwoord of de herstelsleutel).",
        "en": "Backup written to {path} (encrypted; it opens with the current passphrase or "
        "the recovery key).",
    },
    "restore_done": {
        "nl": "Reservekopie teruggezet in {path}.",
        "en": "Backup restored into {path}.",
    },
    "log_header": {
        "nl": "WANNEER|GEBRUIKER|ACTIE|CLIËNT|DETAIL|UITKOMST",
        "en": "WHEN|USER|ACTION|CLIENT|DETAIL|OUTCOME",
    },
    "log_empty": {
        "nl": "Het toegangslog heeft (nog) geen regels{which}.",
        "en": "The access log has no entries{which} (yet).",
    },
    "log_for": {"nl": " voor cliënt {reference}", "en": " for client {reference}"},
    "log_written": {
        "nl": "Toegangslog ({count} regels) geschreven naar {path}.",
        "en": "Access log ({count} entries) written to {path}.",
    },
    "warning": {"nl": "kindcheck: waarschuwing: {text}", "en": "kindcheck: warning: {text}"},
}


def _kind_label(kind: str, lang: str) -> str:
    labels = {
        "intake": {"nl": "intake", "en": "intake"},
        "followup": {"nl": "vervolggesprek", "en": "follow-up"},
    }
    return labels.get(kind, {}).get(lang, kind)


def _say(key: str, lang: str, **values: Any) -> str:
    texts = _TEXT[key]
    return texts.get(lang, texts["en"]).format(**values)


def add_commands(
    commands: Any, common: argparse.ArgumentParser, passphrase: argparse.ArgumentParser
) -> None:
    """Register the vault commands on the sub-command parser."""
    parents = [common, passphrase]
    init = commands.add_parser(
        "init",
        parents=parents,
        help="create a vault and print its recovery key once",
        description="Create an encrypted vault. The passphrase needs at least 12 characters; "
        "the recovery key is printed once: write it down.",
    )
    init.add_argument(
        "--user",
        metavar="NAME",
        help="the vault's user name, for the access log (default: your login)",
    )
    init.set_defaults(handler=cmd_init)

    record = commands.add_parser(
        "record",
        parents=parents,
        help="validate and store a completed session, print its outcome and follow-up plan",
    )
    record.add_argument("answers", type=Path, metavar="ANSWERS.json")
    record.set_defaults(handler=cmd_record)

    listing = commands.add_parser("list", parents=parents, help="clients with their last session")
    listing.set_defaults(handler=cmd_list)

    verify = commands.add_parser(
        "verify",
        parents=parents,
        help="check the file and decrypt every record; name each damaged one",
    )
    verify.add_argument(
        "--accept-older",
        action="store_true",
        help="this older copy of the vault was put back on purpose: stop warning about it",
    )
    verify.set_defaults(handler=cmd_verify)

    passwd = commands.add_parser(
        "passwd",
        parents=parents,
        help="change the passphrase (or set one with the recovery key)",
        description="Change the passphrase. With --passphrase-stdin: line 1 the current "
        "passphrase (with --recovery: the recovery key), line 2 the new one.",
    )
    passwd.add_argument(
        "--recovery",
        action="store_true",
        help="use the recovery key instead of the current passphrase",
    )
    passwd.add_argument(
        "--new-recovery-key",
        action="store_true",
        help="replace the recovery key (a damaged or lost one); prints the new one once",
    )
    passwd.set_defaults(handler=cmd_passwd)

    backup = commands.add_parser(
        "backup",
        parents=parents,
        help="write an encrypted copy of the vault to FILE",
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore",
        parents=parents,
        help="replace the vault with a backup (asks the backup's passphrase first)",
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument(
        "--force", action="store_true", help="replace an existing vault (back it up first)"
    )
    restore.set_defaults(handler=cmd_restore)

    log = commands.add_parser(
        "log",
        parents=parents,
        help="show the access log (NEN 7513), or export a client's log",
        description="Show who created, read, changed, deleted, searched, exported, backed up "
        "or restored client data, and when. With -o, write the log (with --client: "
        "only that client's entries, for the client's own request) as JSON.",
    )
    log.add_argument("--client", metavar="REF", help="only the entries about this client")
    log.add_argument("--json", action="store_true", help="print JSON instead of a table")
    log.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write the log as JSON to FILE (logged as an export)",
    )
    log.add_argument("--force", action="store_true", help="replace FILE if it exists")
    log.set_defaults(handler=cmd_log)

    from kindcheck.commands_reports import add_report_commands

    add_report_commands(commands, common, passphrase)


# --------------------------------------------------------------------------------------------
# Secrets


class SecretSource:
    """The secrets one command reads: stdin lines, the passphrase file's lines, or prompts."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._stdin = bool(getattr(args, "passphrase_stdin", False))
        self._file = None if self._stdin else (os.environ.get(PASSPHRASE_FILE_ENV) or None)
        self._file_lines: list[str] | None = None
        self._line = 0

    @property
    def interactive(self) -> bool:
        return not self._stdin and self._file is None

    def read(self, prompt: str, what: str) -> str:
        """The next secret."""
        self._line += 1
        if self._stdin:
            return self._stdin_line(what)
        if self._file is not None:
            return self._file_line(what)
        return self._prompt(prompt, what)

    def read_new(self, prompt: str, what: str = "the new passphrase") -> str:
        """A new passphrase: asked twice on a terminal, checked before anything is derived."""
        from kindcheck.store import check_new_passphrase

        first = self.read(prompt, what)
        check_new_passphrase(first)
        if self.interactive:
            again = self._prompt("Repeat it: ", what)
            if again != first:
                raise KindcheckError("the two passphrases differ; nothing was changed")
        return first

    def _stdin_line(self, what: str) -> str:
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.readline() if stream is not None else sys.stdin.readline().encode()
        if not raw:
            raise KindcheckError(f"expected {what} on line {self._line} of standard input")
        return _line_text(raw, what)

    def _file_line(self, what: str) -> str:
        assert self._file is not None
        if self._file_lines is None:
            from kindcheck.paths import readable_by_others

            if exposed := readable_by_others(self._file):
                print(
                    f"kindcheck: warning: {PASSPHRASE_FILE_ENV} ({_one_line(self._file)}): "
                    f"{exposed}; make it private (chmod 600)",
                    file=sys.stderr,
                )
            try:
                with open(self._file, "rb") as handle:
                    raw = handle.read(64 * 1024)
            except OSError as error:
                raise KindcheckError(
                    f"{PASSPHRASE_FILE_ENV} cannot be read ({error.strerror})"
                ) from None
            self._file_lines = [_line_text(line, what) for line in raw.split(b"\n")]
        if self._line > len(self._file_lines) or (
            self._line == len(self._file_lines) and self._file_lines[-1] == ""
        ):
            raise KindcheckError(f"expected {what} on line {self._line} of {PASSPHRASE_FILE_ENV}")
        return self._file_lines[self._line - 1]

    @staticmethod
    def _prompt(prompt: str, what: str) -> str:
        if not sys.stdin.isatty():
            raise KindcheckError(
                f"no terminal to ask for {what}: use --passphrase-stdin or {PASSPHRASE_FILE_ENV}"
            )
        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise KindcheckError(f"no {what} given") from None


def _line_text(raw: bytes, what: str) -> str:
    # Only the line end goes: spaces at either end can be part of a passphrase.
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KindcheckError(f"{what} is not UTF-8 text") from None


# --------------------------------------------------------------------------------------------
# Helpers


def _data_dir(args: argparse.Namespace) -> Path:
    from kindcheck.settings import resolve_data_dir

    return resolve_data_dir(getattr(args, "data_dir", None))


def _lang(args: argparse.Namespace) -> str:
    lang = getattr(args, "lang", None) or os.environ.get("KINDCHECK_LANG", "nl")
    return lang if lang in ("nl", "en") else "nl"


def _unlock(args: argparse.Namespace, secrets: SecretSource | None = None, **options: Any) -> Store:
    from kindcheck.store import Store

    data_dir = _data_dir(args)
    if not Store.exists(data_dir):
        # Before asking: no point typing a passphrase for a vault that is not there.
        raise KindcheckError(f"there is no vault in {data_dir}: create one with `kindcheck init`")
    secrets = secrets or SecretSource(args)
    store = Store.unlock(data_dir, secrets.read("Passphrase: ", "the passphrase"), **options)
    _warn_rollback(store, _lang(args))
    return store


def _warn_rollback(store: Store, lang: str) -> None:
    """The rollback warning (store.ROLLBACK_WARNING), on stderr, once per replaced file."""
    if store.rollback_warning:
        print(_say("warning", lang, text=store.rollback_warning), file=sys.stderr)


def _one_line(text: str | None) -> str:
    """User-supplied text for one line of terminal output: no control characters or breaks."""
    from kindcheck.questionnaire import clean_text

    return " ".join(clean_text(text or "").split())


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (some containers)
        return "unknown"


# --------------------------------------------------------------------------------------------
# Commands


def cmd_init(args: argparse.Namespace) -> int:
    from kindcheck.store import Store

    data_dir, lang = _data_dir(args), _lang(args)
    if Store.exists(data_dir):
        raise KindcheckError(f"a vault already exists in {data_dir}; nothing was changed")
    passphrase = SecretSource(args).read_new(
        "New passphrase (at least 12 characters): ", "the new passphrase"
    )
    user = _one_line(args.user) if args.user else _login_name()
    store, recovery_key = Store.create(data_dir, passphrase, user)
    store.close()
    print(_say("created", lang, path=data_dir))
    print()
    print(_say("recovery", lang))
    print()
    print(f"    {recovery_key}")
    print()
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from kindcheck.answers import read_answers_file
    from kindcheck.outcome import compute_outcome, outcome_lines
    from kindcheck.service.recording import record_session

    lang = _lang(args)
    # Validate before asking for the passphrase: a bad file costs no key derivation.
    session = read_answers_file(args.answers)
    outcome = compute_outcome(session)
    store = _unlock(args)
    try:
        result = record_session(store, session, outcome, lang)
    finally:
        store.close()
    print("\n".join(outcome_lines(outcome, lang)))
    for line in _plan_lines(result, lang):
        print(line)
    print()
    print(
        _say(
            "saved",
            lang,
            kind=_kind_label(result.session.kind, lang),
            date=result.session.session_date.isoformat(),
            reference=_one_line(result.client.reference),
            new=_say("new_client", lang) if result.client_created else "",
        )
    )
    return 0


def _plan_lines(result: Recorded, lang: str) -> list[str]:
    from kindcheck.followup import AMSTERDAM, next_occurrence
    from kindcheck.i18n import t

    if result.plan is None:
        return []
    end_of_session_day = datetime.combine(result.session.session_date, time.max, AMSTERDAM)
    after = max(datetime.now(AMSTERDAM), end_of_session_day)
    upcoming = next_occurrence(result.plan.plan, after)
    if upcoming is None:
        return [_say("plan_ended", lang)]
    when = f"{upcoming:%Y-%m-%d %H:%M}"
    if result.plan_change == "new":
        return [_say("plan_new", lang, when=when)]
    if result.plan_change == "more_frequent" and result.plan.rhythm is not None:
        rhythm = t(f"rhythm.{result.plan.rhythm.value}", lang)
        return [_say("plan_more_frequent", lang, rhythm=rhythm, when=when)]
    return [_say("plan_unchanged", lang, when=when)]


def cmd_list(args: argparse.Namespace) -> int:
    lang = _lang(args)
    damaged: list[str] = []
    store = _unlock(args)
    try:
        with store.batch():  # every client's reference and name: one "read" entry
            overviews = store.list_clients(damaged)
            store.log_access("read", None, f"client list ({len(overviews)} client(s))")
    finally:
        store.close()
    if not overviews:
        print(_say("no_clients", lang))
    else:
        rows = [_say("list_header", lang).split("|")]
        for overview in overviews:
            last = overview.last_session
            domains = "-"
            if last is not None and last.problem_domain_count is not None:
                domains = str(last.problem_domain_count)
            rows.append(
                [
                    _one_line(overview.client.reference),
                    _one_line(overview.client.name) or "-",
                    str(overview.session_count),
                    last.session_date.isoformat() if last else "-",
                    _kind_label(last.kind, lang) if last else "-",
                    domains,
                ]
            )
        widths = [min(max(len(row[i]) for row in rows), 40) for i in range(len(rows[0]))]
        for row in rows:
            print(
                "  ".join(
                    cell[:40].ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
    for problem in damaged:
        print(f"kindcheck: {problem}", file=sys.stderr)
    return 1 if damaged else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from kindcheck.service.plans import verify_vault

    lang = _lang(args)
    store = _unlock(args, inspect=not args.accept_older)  # inspect: read-only, never refused
    try:
        if args.accept_older:
            store.acknowledge_rollback()
        problems = verify_vault(store)
        if store.rollback_warning:
            problems.append(
                "the vault is older than the last one opened on this computer: "
                "`kindcheck verify --accept-older` if it was put back on purpose"
            )
        count = sum(store.count_records().values()) if not problems else 0
    finally:
        store.close()
    for problem in problems:
        print(problem)
    if problems:
        print(_say("verify_bad", lang, count=len(problems)), file=sys.stderr)
        return 1
    print(_say("verify_ok", lang, count=count))
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from kindcheck.store import Store

    lang, data_dir = _lang(args), _data_dir(args)
    if not Store.exists(data_dir):
        raise KindcheckError(f"there is no vault in {data_dir}")
    secrets = SecretSource(args)
    if args.new_recovery_key:
        current = secrets.read("Passphrase: ", "the passphrase")
        with Store.unlock(data_dir, current) as store:
            _warn_rollback(store, lang)
            recovery_key = store.new_recovery_key(current)
        print(_say("recovery", lang), "", f"    {recovery_key}", "", sep="\n")
        return 0
    if args.recovery:
        recovery_key = secrets.read("Recovery key: ", "the recovery key")
        new = secrets.read_new("New passphrase (at least 12 characters): ")
        recovered = Store.unlock_with_recovery(data_dir, recovery_key, new)
        _warn_rollback(recovered, lang)
        recovered.close()
        print(_say("recovered", lang))
        return 0
    old = secrets.read("Current passphrase: ", "the current passphrase")
    new = secrets.read_new("New passphrase (at least 12 characters): ")
    store = Store.unlock(data_dir, old)
    _warn_rollback(store, lang)
    try:
        store.change_passphrase(old, new)
    finally:
        store.close()
    print(_say("passwd_done", lang))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from kindcheck.paths import check_output_path

    # Checked before the passphrase is asked (and again by the store, which logs a refusal):
    # an existing FILE needs --force, a symbolic link is refused even with it.
    check_output_path(args.file, args.force)
    store = _unlock(args)
    try:
        written = store.backup(args.file, force=args.force)
    finally:
        store.close()
    print(_say("backup_done", _lang(args), path=written))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from kindcheck.store import Store

    data_dir = _data_dir(args)
    if Store.exists(data_dir) and not args.force:
        raise KindcheckError(
            f"a vault already exists in {data_dir}; nothing was changed. Use --force to replace "
            "it (back it up first)"
        )
    passphrase = SecretSource(args).read("Passphrase of the backup: ", "the backup's passphrase")
    Store.restore(args.file, data_dir, force=args.force, passphrase=passphrase)
    print(_say("restore_done", _lang(args), path=data_dir))
    return 0


# --------------------------------------------------------------------------------------------
# The access log


LOG_FORMAT = "kindcheck-access-log"


def log_document(entries: list[Any], reference: str | None, user: str | None) -> dict[str, Any]:
    """The JSON form of (part of) the access log: every field of every entry, with its hash,
    so the organisation can check the chain of a full export."""
    from datetime import UTC

    from kindcheck import __version__

    return {
        "format": LOG_FORMAT,
        "format_version": 1,
        "tool_version": __version__,
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "vault_user": user,
        "client_reference": reference,
        "entries": [{**entry.to_dict(), "hash": entry.hash} for entry in entries],
    }


def _local_time(moment: str) -> str:
    try:
        return f"{datetime.fromisoformat(moment).astimezone():%Y-%m-%d %H:%M:%S}"
    except ValueError:
        return _one_line(moment)


def _log_table(entries: list[Any], lang: str) -> list[str]:
    rows = [_say("log_header", lang).split("|")]
    for entry in entries:
        rows.append(
            [
                _local_time(entry.at),
                _one_line(entry.user) or "-",
                _one_line(entry.action),
                _one_line(entry.client_reference) or "-",
                _one_line(entry.detail) or "-",
                _one_line(entry.outcome),
            ]
        )
    caps = [19, 24, 8, 30, 80, 8]
    widths = [min(max(len(row[i]) for row in rows), caps[i]) for i in range(len(caps))]
    return [
        "  ".join(
            cell[:width].ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def cmd_log(args: argparse.Namespace) -> int:
    """``kindcheck log [--client REF] [--json]``: the access log at the terminal (itself a
    "read" entry); ``-o FILE [--force]``: written as JSON (an "export" entry, e.g. for a
    client's request to see who looked at their file)."""
    import json

    from kindcheck.paths import OutputPathError, check_output_path, write_output

    lang = _lang(args)
    reference = args.client
    if reference is not None and not _one_line(reference):
        raise KindcheckError("--client needs a client reference")
    if args.output is not None:
        check_output_path(args.output, args.force)  # before the passphrase is asked
    damaged: list[str] = []
    store = _unlock(args)
    user = store.user_name
    try:
        if args.output is None:
            with store.batch():
                store.log_access("read", reference, "access log")
                entries = store.access_log(reference, damaged)
        else:
            entries = store.access_log(reference, damaged)
            document = log_document(entries, reference, user)
            data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            try:
                written = write_output(args.output, data, args.force)
            except OutputPathError as error:
                store.log_access(
                    "export", reference, f"access log to {args.output}: {error}", "refused"
                )
                raise
            store.log_access(
                "export", reference, f"access log ({len(entries)} entries) to {written}"
            )
    finally:
        store.close()
    if args.output is not None:
        print(_say("log_written", lang, count=len(entries), path=written))
    elif args.json:
        # ASCII only: user text reaches the terminal, and \u escapes cannot be control codes.
        print(json.dumps(log_document(entries, reference, user), ensure_ascii=True, indent=2))
    elif not entries:
        which = _say("log_for", lang, reference=_one_line(reference)) if reference else ""
        print(_say("log_empty", lang, which=which))
    else:
        for line in _log_table(entries, lang):
            print(line)
    for problem in damaged:
        print(f"kindcheck: {problem}", file=sys.stderr)
    return 1 if damaged else 0
