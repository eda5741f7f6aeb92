"""The commands that keep the vault: init, record, list, verify, passwd, backup, restore.

Each opens the vault through the service layer (kindcheck.cli.common.unlock, a
:class:`~kindcheck.service.vault_service.VaultService`). Nothing heavy is imported at the top:
the store (SQLModel, SQLAlchemy, cryptography) is imported when a command runs, and
``kindcheck --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, time
from typing import TYPE_CHECKING

from kindcheck.errors import KindcheckError
from kindcheck.text import one_line

from .common import (
    SecretSource,
    Texts,
    login_name,
    print_damaged,
    say,
    table_lines,
    unlock,
    vault_service,
    warn_rollback,
)
from .common import lang as lang_of

if TYPE_CHECKING:
    from kindcheck.service.recording import Recorded

# The few lines these commands print themselves, in both languages (outcome texts come from
# kindcheck.outcome / the message catalog).
_TEXT: Texts = {
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
}


def _kind_label(kind: str, lang: str) -> str:
    labels = {
        "intake": {"nl": "intake", "en": "intake"},
        "followup": {"nl": "vervolggesprek", "en": "follow-up"},
    }
    return labels.get(kind, {}).get(lang, kind)


def cmd_init(args: argparse.Namespace) -> int:
    service, lang = vault_service(args), lang_of(args)
    if service.exists():
        raise KindcheckError(f"a vault already exists in {service.data_dir}; nothing was changed")
    passphrase = SecretSource(args).read_new(
        "New passphrase (at least 12 characters): ", "the new passphrase"
    )
    user = one_line(args.user) if args.user else login_name()
    with service:
        recovery_key = service.create(passphrase, user)
    print(say(_TEXT, "created", lang, path=service.data_dir))
    print()
    print(say(_TEXT, "recovery", lang))
    print()
    print(f"    {recovery_key}")
    print()
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from kindcheck.answers import read_answers_file
    from kindcheck.outcome import compute_outcome, outcome_lines

    lang = lang_of(args)
    # Validate before asking for the passphrase: a bad file costs no key derivation.
    session = read_answers_file(args.answers)
    outcome = compute_outcome(session)
    with unlock(args) as service:
        result = service.record(session, outcome)
    print("\n".join(outcome_lines(outcome, lang)))
    for line in _plan_lines(result, lang):
        print(line)
    print()
    print(
        say(
            _TEXT,
            "saved",
            lang,
            kind=_kind_label(result.session.kind, lang),
            date=result.session.session_date.isoformat(),
            reference=one_line(result.client.reference),
            new=say(_TEXT, "new_client", lang) if result.client_created else "",
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
        return [say(_TEXT, "plan_ended", lang)]
    when = f"{upcoming:%Y-%m-%d %H:%M}"
    if result.plan_change == "new":
        return [say(_TEXT, "plan_new", lang, when=when)]
    if result.plan_change == "more_frequent" and result.plan.rhythm is not None:
        rhythm = t(f"rhythm.{result.plan.rhythm.value}", lang)
        return [say(_TEXT, "plan_more_frequent", lang, rhythm=rhythm, when=when)]
    return [say(_TEXT, "plan_unchanged", lang, when=when)]


def cmd_list(args: argparse.Namespace) -> int:
    lang = lang_of(args)
    damaged: list[str] = []
    # Every client's reference and name: one "read" entry, in the same transaction.
    with unlock(args) as service, service.store() as store, store.batch():
        overviews = store.list_clients(damaged)
        store.log_access("read", None, f"client list ({len(overviews)} client(s))")
    if not overviews:
        print(say(_TEXT, "no_clients", lang))
    else:
        rows = [say(_TEXT, "list_header", lang).split("|")]
        for overview in overviews:
            last = overview.last_session
            domains = "-"
            if last is not None and last.problem_domain_count is not None:
                domains = str(last.problem_domain_count)
            rows.append(
                [
                    one_line(overview.client.reference),
                    one_line(overview.client.name) or "-",
                    str(overview.session_count),
                    last.session_date.isoformat() if last else "-",
                    _kind_label(last.kind, lang) if last else "-",
                    domains,
                ]
            )
        for line in table_lines(rows, [40] * len(rows[0])):
            print(line)
    print_damaged(damaged)
    return 1 if damaged else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from kindcheck.service.plans import verify_vault

    lang = lang_of(args)
    # inspect: read-only and never refused, so every problem of the file can be listed.
    with unlock(args, inspect=not args.accept_older) as service, service.store() as store:
        if args.accept_older:
            store.acknowledge_rollback()
        problems = verify_vault(store)
        if store.rollback_warning:
            problems.append(
                "the vault is older than the last one opened on this computer: "
                "`kindcheck verify --accept-older` if it was put back on purpose"
            )
        count = sum(store.count_records().values()) if not problems else 0
    for problem in problems:
        print(problem)
    if problems:
        print(say(_TEXT, "verify_bad", lang, count=len(problems)), file=sys.stderr)
        return 1
    print(say(_TEXT, "verify_ok", lang, count=count))
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    service, lang = vault_service(args), lang_of(args)
    if not service.exists():
        raise KindcheckError(f"there is no vault in {service.data_dir}")
    secrets = SecretSource(args)
    if args.new_recovery_key:
        current = secrets.read("Passphrase: ", "the passphrase")
        with service:
            service.unlock(current)
            warn_rollback(service, lang)
            recovery_key = service.new_recovery_key(current)
        print(say(_TEXT, "recovery", lang), "", f"    {recovery_key}", "", sep="\n")
        return 0
    if args.recovery:
        recovery_key = secrets.read("Recovery key: ", "the recovery key")
        new = secrets.read_new("New passphrase (at least 12 characters): ")
        with service:
            service.unlock_with_recovery(recovery_key, new)
            warn_rollback(service, lang)
        print(say(_TEXT, "recovered", lang))
        return 0
    old = secrets.read("Current passphrase: ", "the current passphrase")
    new = secrets.read_new("New passphrase (at least 12 characters): ")
    with service:
        service.unlock(old)
        warn_rollback(service, lang)
        service.change_passphrase(old, new)
    print(say(_TEXT, "passwd_done", lang))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from kindcheck.paths import check_output_path

    # Checked before the passphrase is asked (and again by the store, which logs a refusal):
    # an existing FILE needs --force, a symbolic link is refused even with it.
    check_output_path(args.file, args.force)
    with unlock(args) as service, service.store() as store:
        written = store.backup(args.file, force=args.force)
    print(say(_TEXT, "backup_done", lang_of(args), path=written))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    service = vault_service(args)
    if service.exists() and not args.force:
        raise KindcheckError(
            f"a vault already exists in {service.data_dir}; nothing was changed. Use --force to "
            "replace it (back it up first)"
        )
    passphrase = SecretSource(args).read("Passphrase of the backup: ", "the backup's passphrase")
    service.restore(args.file, passphrase, force=args.force)
    print(say(_TEXT, "restore_done", lang_of(args), path=service.data_dir))
    return 0
