"""One stored session read back: the session view (Enter on a session row of the client page).

It draws the one rendering of the record (kindcheck.record.blocks, through the service), the
same the plain-text summary and the PDF draw: the session and who recorded it when; safety
signals and the Meldcode steps with their dates; the children; the domains with the answers
behind them; help and hand-offs; the follow-up plan; the notes; every question as it was asked
with its answer; the corrections. A corrected answer shows what it was before, and the outcome
of the corrected answers comes with the outcome as it was recorded.

From here: correct an answer (c, a dialog: question, new answer, reason), copy the summary to
the clipboard (y), save it as text, PDF or HL7 FHIR (s, the save dialog the reports use).
Opening the view is one "read" entry; a correction one "change"; every copy or save one
"export" (the service writes them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Static

from kindcheck.dates import format_day
from kindcheck.errors import KindcheckError
from kindcheck.text import clean_text

from .base import KindcheckScreen
from .dialogs.confirm import ConfirmDialog, ErrorDialog
from .dialogs.correct_answer import CorrectAnswerDialog, CorrectionChoice
from .dialogs.save_path import (
    ExportSaved,
    OverwriteAsked,
    SaveChoice,
    SavePathDialog,
    SaveRefused,
    file_name_part,
    show_refusal,
)
from .widgets.safe import literal

if TYPE_CHECKING:
    from kindcheck.record import SessionRecord
    from kindcheck.service.client_record import Amended

# The save dialog's formats (its radio buttons, and the file's extension) and the hand-off each is.
SAVE_FORMATS = ("txt", "pdf", "fhir")
HANDOFF_OF = {"txt": "text", "pdf": "pdf", "fhir": "fhir"}
SUFFIXES = {"txt": "txt", "pdf": "pdf", "fhir": "fhir.json"}
STYLES = {
    "title": "bold $accent",
    "heading": "bold $accent",
    "subheading": "bold",
    "alert": "bold $error",
    "strong": "bold",
    "muted": "dim",
}


class RecordLoaded(Message):
    def __init__(self, record: SessionRecord) -> None:
        super().__init__()
        self.record = record


class Corrected(Message):
    def __init__(self, amended: Amended) -> None:
        super().__init__()
        self.amended = amended


class CorrectionRefused(Message):
    def __init__(self, error: KindcheckError) -> None:
        super().__init__()
        self.error = error


class Copied(Message):
    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


def block_content(kind: str, text: str, indent: int, bullet: bool, style: str) -> Content:
    """One block of the record as a line of the view (text literally, never markup)."""
    if kind == "blank":
        return Content("")
    prefix = "  " * indent + ("• " if bullet else "")
    if kind == "title":
        return literal(text.upper(), STYLES["title"])
    if kind in ("heading", "subheading"):
        return literal(prefix + text, STYLES[kind])
    return literal(prefix + text, STYLES.get(style, ""))


class SessionScreen(KindcheckScreen):
    CSS_PATH = "session.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key.back"),
        Binding("c", "correct", "ui.key.correct"),
        Binding("y", "copy", "ui.key.copy"),
        Binding("s", "save", "ui.key.save_as"),
    ]

    def __init__(self, session_id: str) -> None:
        super().__init__()
        self.session_id = session_id
        self.record: SessionRecord | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.tr("session.loading"), classes="top-bar", id="session-title")
        with VerticalScroll(id="session-body"):
            yield Static("", id="session-record")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#session-body").focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="session")
    def load(self) -> None:
        from kindcheck.service.client_record import open_session

        self.post_message(RecordLoaded(open_session(self.service, self.session_id)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("correct", "copy", "save"):
            return self.record is not None
        return True

    # -- showing ------------------------------------------------------------------------

    def on_record_loaded(self, message: RecordLoaded) -> None:
        self.show(message.record)

    def show(self, record: SessionRecord) -> None:
        from kindcheck.service.client_record import record_blocks

        self.record = record
        self.refresh_bindings()
        lang = self.lang
        kind = self.tr(f"client.kind.{record.kind}")
        title = Content.assemble(
            self.tr("session.title"),
            " · ",
            literal(record.client_reference),
            f" · {kind} {format_day(record.session_date, lang)}",
        )
        if record.corrected:
            title = Content.assemble(title, " · ", literal(self.tr("session.corrected"), "bold"))
        self.query_one("#session-title", Static).update(title)
        lines = [
            block_content(b.kind, b.text, b.indent, b.bullet, b.style)
            for b in record_blocks(record, lang)
        ]
        self.query_one("#session-record", Static).update(Content("\n").join(lines))

    # -- correcting ---------------------------------------------------------------------

    def action_correct(self) -> None:
        record = self.record
        if record is None:
            return

        def chosen(choice: CorrectionChoice | None) -> None:
            if choice is not None:
                self.store_correction(choice)

        self.app.push_screen(CorrectAnswerDialog(record), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="session-write")
    def store_correction(self, choice: CorrectionChoice) -> None:
        from kindcheck.service.client_record import correct_session

        try:
            amended = correct_session(
                self.service, self.session_id, [choice.new_answer], choice.reason
            )
        except KindcheckError as error:
            self.post_message(CorrectionRefused(error))
            return
        self.post_message(Corrected(amended))

    def on_corrected(self, message: Corrected) -> None:
        amended = message.amended
        self.show(amended.record)
        note = self.tr("session.corrected_note")
        if amended.plan_change in ("new", "more_frequent"):
            note += " " + self.tr(f"session.plan_{amended.plan_change}")
        if amended.plan_more_frequent_than_needed:
            note += " " + self.tr("session.plan_looser")
        self.notify(note, markup=False, timeout=10)

    def on_correction_refused(self, message: CorrectionRefused) -> None:
        from kindcheck.record import AmendmentIncomplete

        error = message.error
        if isinstance(error, AmendmentIncomplete):
            details = "; ".join(clean_text(line) for line in error.problems)
            why = self.tr("session.not_corrected_incomplete", details=details)
        else:
            why = self.tr("session.not_corrected_why", reason=clean_text(str(error)))
        self.app.push_screen(ErrorDialog(self.tr("session.not_corrected"), why))

    # -- copying and saving ---------------------------------------------------------------

    def action_copy(self) -> None:
        if self.record is not None:
            self.copy_summary(self.lang)

    @work(thread=True, exclusive=True, exit_on_error=False, group="session-copy")
    def copy_summary(self, lang: str) -> None:
        """``lang`` from the main thread: a worker thread does not see the running app."""
        from kindcheck.service.client_record import handoff_to_clipboard

        # Logged as an export before it leaves the vault.
        self.post_message(Copied(handoff_to_clipboard(self.service, self.session_id, lang)))

    def on_copied(self, message: Copied) -> None:
        # Textual cannot tell whether the terminal took it (OSC 52 has no answer), so say so.
        self.app.copy_to_clipboard(message.summary)
        self.notify(self.tr("session.copied"), markup=False, timeout=10)

    def action_save(self) -> None:
        record = self.record
        if record is None:
            return
        initial = (
            f"~/kindcheck-{file_name_part(record.client_reference)}-"
            f"{record.session_date.isoformat()}.{SUFFIXES['txt']}"
        )
        dialog = SavePathDialog(
            self.tr("session.save_title"),
            initial,
            SAVE_FORMATS,
            self.tr("session.save_note"),
            suffixes=SUFFIXES,
        )

        def chosen(choice: SaveChoice | None) -> None:
            if choice is not None:
                self.save(choice, False, self.lang)

        self.app.push_screen(dialog, chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="session-save")
    def save(self, choice: SaveChoice, force: bool, lang: str) -> None:
        """``lang`` from the main thread: a worker thread does not see the running app."""
        from kindcheck.paths import OutputPathError
        from kindcheck.service.client_record import HandoffOverwrite, save_handoff

        try:
            written = save_handoff(
                self.service,
                self.session_id,
                HANDOFF_OF[choice.file_format],
                lang,
                choice.path,
                force,
            )
        except HandoffOverwrite:
            self.post_message(OverwriteAsked(choice))
            return
        except OutputPathError as error:
            self.post_message(SaveRefused(choice.path, error))
            return
        self.post_message(ExportSaved(written))

    def on_overwrite_asked(self, message: OverwriteAsked) -> None:
        choice = message.choice

        def answered(yes: bool | None) -> None:
            if yes:
                self.save(choice, True, self.lang)

        self.app.push_screen(
            ConfirmDialog(
                self.tr("export.save.overwrite", path=choice.path),
                self.tr("export.save.overwrite_yes"),
                self.tr("common.cancel"),
            ),
            answered,
        )

    def on_export_saved(self, message: ExportSaved) -> None:
        self.notify(
            self.tr("session.saved", path=clean_text(str(Path(message.path)))),
            markup=False,
            timeout=8,
        )

    def on_save_refused(self, message: SaveRefused) -> None:
        show_refusal(self, message)

    def palette_commands(self) -> Iterator[SystemCommand]:
        if self.record is None:
            return
        yield SystemCommand(
            self.tr("session.cmd_correct"), self.tr("session.cmd_correct_help"), self.action_correct
        )
        yield SystemCommand(
            self.tr("session.cmd_copy"), self.tr("session.cmd_copy_help"), self.action_copy
        )
        yield SystemCommand(
            self.tr("session.cmd_save"), self.tr("session.cmd_save_help"), self.action_save
        )
