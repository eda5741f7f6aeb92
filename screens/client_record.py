"""The client page's part of the client record: open a session, and the client's rights.

- Enter on a session row (or on the page: the highlighted row, the newest at first) opens
  the session view: the app is asked with :class:`~.messages.SessionOpened`.
- d saves the client's dossier (everything about them, AVG art. 15) as a PDF and a JSON file
  in a folder the clinician types (the save dialog the reports use).
- Delete deletes the client and everything of theirs after the reference is typed again
  (AVG art. 17); the app goes back to the overview (:class:`~.messages.ClientDeleted`).

A mixin of the client page (client.py), kept apart so the page's own module stays about the
page; it uses the page's ``detail`` and ``client_id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import SystemCommand
from textual.message import Message
from textual.widgets import DataTable

from kindcheck.errors import KindcheckError
from kindcheck.text import clean_text, one_line

from .base import KindcheckScreen
from .dialogs.confirm import ConfirmDialog, ErrorDialog
from .dialogs.save_path import (
    OverwriteAsked,
    SaveChoice,
    SavePathDialog,
    SaveRefused,
    show_refusal,
)
from .dialogs.typed_confirm import TypedConfirmDialog
from .messages import ClientDeleted, SessionOpened

if TYPE_CHECKING:
    from kindcheck.service.client_record import DossierFiles
    from kindcheck.service.views import ClientDetail

DOSSIER_FORMAT = "pdf+json"


class DossierSaved(Message):
    def __init__(self, files: DossierFiles) -> None:
        super().__init__()
        self.files = files


class DeleteRefused(Message):
    def __init__(self, error: KindcheckError) -> None:
        super().__init__()
        self.error = error


class ClientRecordActions(KindcheckScreen):
    """Open a session; save the dossier; delete the client (see the module docstring)."""

    client_id: str
    detail: ClientDetail | None
    deleting: bool = False  # a deletion asked or under way: the page is not read again

    # -- opening a session ----------------------------------------------------------------

    def action_open_session(self) -> None:
        table = self.query_one("#sessions", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None and not key.startswith("damaged:"):  # a row that cannot be read
            self.post_message(SessionOpened(key))

    @on(DataTable.RowSelected, "#sessions")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key is not None and not key.startswith("damaged:"):  # a row that cannot be read
            self.post_message(SessionOpened(key))

    # -- the dossier ------------------------------------------------------------------------

    def action_export_dossier(self) -> None:
        if self.detail is None:
            return
        reference = self.detail.summary.reference
        dialog = SavePathDialog(
            self.tr("session.dossier_title", reference=one_line(reference)),
            "~",
            (DOSSIER_FORMAT,),
            self.tr("session.dossier_note"),
        )

        def chosen(choice: SaveChoice | None) -> None:
            if choice is not None:
                self.save_dossier(choice, False, self.lang)

        self.app.push_screen(dialog, chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="client-dossier")
    def save_dossier(self, choice: SaveChoice, force: bool, lang: str) -> None:
        """``lang`` from the main thread: a worker thread does not see the running app."""
        from kindcheck.paths import OutputPathError
        from kindcheck.service.client_record import HandoffOverwrite, save_client_dossier

        try:
            files = save_client_dossier(self.service, self.client_id, choice.path, lang, force)
        except HandoffOverwrite:
            self.post_message(OverwriteAsked(choice))
            return
        except (OutputPathError, KindcheckError) as error:
            self.post_message(SaveRefused(choice.path, error))
            return
        self.post_message(DossierSaved(files))

    def on_overwrite_asked(self, message: OverwriteAsked) -> None:
        choice = message.choice

        def answered(yes: bool | None) -> None:
            if yes:
                self.save_dossier(choice, True, self.lang)

        self.app.push_screen(
            ConfirmDialog(
                self.tr("session.dossier_overwrite", folder=choice.path),
                self.tr("export.save.overwrite_yes"),
                self.tr("common.cancel"),
            ),
            answered,
        )

    def on_dossier_saved(self, message: DossierSaved) -> None:
        files = message.files
        self.notify(
            self.tr(
                "session.dossier_saved",
                pdf=clean_text(str(Path(files.pdf))),
                json=clean_text(str(Path(files.json))),
            ),
            markup=False,
            timeout=10,
        )

    def on_save_refused(self, message: SaveRefused) -> None:
        show_refusal(self, message)

    # -- deleting the client ----------------------------------------------------------------

    def action_delete_client(self) -> None:
        if self.detail is None:
            return
        reference = self.detail.summary.reference
        dialog = TypedConfirmDialog(
            self.tr("session.delete_title", reference=one_line(reference)),
            self.tr("session.delete_message"),
            reference,
            self.tr("session.delete_yes"),
        )

        def typed(text: str | None) -> None:
            if text is None:
                self.deleting = False
            else:
                self.delete_client(reference, text)

        # Until the deletion is done or cancelled, the page is not read again (it would read a
        # client that is gone).
        self.deleting = True
        self.app.push_screen(dialog, typed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="client-write")
    def delete_client(self, reference: str, typed: str) -> None:
        from kindcheck.service.client_record import delete_client_of_page

        try:
            changed = delete_client_of_page(self.service, self.client_id, typed)
        except KindcheckError as error:
            self.post_message(DeleteRefused(error))
            return
        self.post_message(ClientDeleted(reference, changed))

    def on_delete_refused(self, message: DeleteRefused) -> None:
        self.deleting = False
        self.app.push_screen(
            ErrorDialog(self.tr("session.not_deleted"), clean_text(str(message.error)))
        )

    def record_commands(self) -> Iterator[SystemCommand]:
        """The palette's commands of this part of the page."""
        if self.detail is None:
            return
        if self.detail.sessions:
            yield SystemCommand(
                self.tr("session.cmd_open"),
                self.tr("session.cmd_open_help"),
                self.action_open_session,
            )
        yield SystemCommand(
            self.tr("session.cmd_dossier"),
            self.tr("session.cmd_dossier_help"),
            self.action_export_dossier,
        )
        yield SystemCommand(
            self.tr("session.cmd_delete"),
            self.tr("session.cmd_delete_help"),
            self.action_delete_client,
        )
