"""Where to save a report file, and what saving it can answer (the export, the access-log and
the session screens, and the client page's dossier, save through here).

:class:`SavePathDialog` returns a :class:`SaveChoice` (a path typed by the user and the
format) through ``dismiss()``. The screens' thread workers then write the file and post one of
the messages below; a path the core refuses (a symbolic link, a missing folder, ...) is shown in
an error dialog in the user's language (:func:`show_refusal`), the path literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, RadioSet, Static

from kindcheck.errors import KindcheckError

from ..base import KindcheckModal, KindcheckScreen, Translate
from ..widgets.safe import SafeInput
from ..widgets.toggles import ChoiceButton
from .confirm import ErrorDialog

FORMATS = ("csv", "json")


@dataclass(frozen=True)
class SaveChoice:
    """Where to save, in which format (what :class:`SavePathDialog` returns)."""

    path: str
    file_format: str


# The messages of a save (posted by the screens' workers)


class ExportSaved(Message):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class SaveRefused(Message):
    """write_output refused the path (a symbolic link, a missing folder, ...)."""

    def __init__(self, path: str, error: KindcheckError) -> None:
        super().__init__()
        self.path = path
        self.error = error


class OverwriteAsked(Message):
    """The file exists: ask before writing over it."""

    def __init__(self, choice: SaveChoice) -> None:
        super().__init__()
        self.choice = choice


def path_problem(error: KindcheckError, path: str, tr: Translate) -> str:
    """A person's message for a path write_output refused (the core's is English)."""
    text = str(error)
    problems = (
        ("symbolic link", "symlink"),
        ("does not exist", "no_folder"),
        ("is a folder", "is_folder"),
        ("disk is full", "disk_full"),
        ("appeared while writing", "appeared"),
    )
    for marker, key in problems:
        if marker in text:
            return str(tr(f"export.save.{key}", path=path))
    return str(tr("export.save.failed", path=path, reason=text))


def show_refusal(screen: KindcheckScreen, message: SaveRefused) -> None:
    """The refused path in an error dialog, in the user's language (the path literally)."""
    screen.app.push_screen(
        ErrorDialog(
            screen.tr("export.save.refused_title"),
            path_problem(message.error, message.path, screen.tr),
        )
    )


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def file_name_part(text: str) -> str:
    """A reference made safe for a suggested file name."""
    return _SAFE_NAME.sub("_", text).strip("_")[:40] or "client"


class SavePathDialog(KindcheckModal[SaveChoice | None]):
    """Where to save: a path typed by the user and, when there is a choice, the format."""

    CSS_PATH = "save_path.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui.key.cancel"),
    ]

    def __init__(
        self,
        title: str,
        initial_path: str,
        formats: tuple[str, ...] = FORMATS,
        note: str = "",
        *,
        suffixes: dict[str, str] | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.initial_path = initial_path
        self.formats = formats
        self.note = note
        # The file name's extension per format (the format's name unless told: "fhir.json").
        self.suffixes = {name: (suffixes or {}).get(name, name) for name in formats}

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box"):
            yield Static(self.title_text, id="save-title", markup=False)
            if len(self.formats) > 1:
                with Horizontal(id="save-format-row"):
                    yield Static(self.tr("export.save.format"), classes="save-label", markup=False)
                    with RadioSet(id="save-format"):
                        for index, name in enumerate(self.formats):
                            yield ChoiceButton(name.upper(), value=index == 0, id=f"fmt-{name}")
            yield Static(self.tr("export.save.path"), classes="save-label", markup=False)
            yield SafeInput(self.initial_path, id="save-path", max_length=4096)
            if self.note:
                yield Static(self.note, id="save-note", classes="muted", markup=False)
            yield Static("", id="save-error", classes="error-line", markup=False)
            with Horizontal(id="save-buttons"):
                yield Button(self.tr("export.save.save"), id="save", variant="primary")
                yield Button(self.tr("common.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#save-error").display = False
        path = self.query_one("#save-path", Input)
        path.focus()
        path.cursor_position = len(path.value)

    def chosen_format(self) -> str:
        if len(self.formats) == 1:
            return self.formats[0]
        pressed = self.query_one("#save-format", RadioSet).pressed_button
        return pressed.id.removeprefix("fmt-") if pressed and pressed.id else self.formats[0]

    @on(RadioSet.Changed, "#save-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        """Keep the file name's extension in step with the format, when it is one of ours."""
        event.stop()
        path = self.query_one("#save-path", Input)
        new = self.chosen_format()
        for name in self.formats:
            suffix = self.suffixes[name]
            if path.value.endswith(f".{suffix}") and name != new:
                path.value = path.value[: -len(suffix)] + self.suffixes[new]
                path.cursor_position = len(path.value)
                break

    @on(Input.Submitted, "#save-path")
    @on(Button.Pressed, "#save")
    def _save(self, event: Message) -> None:
        event.stop()
        value = self.query_one("#save-path", Input).value.strip()
        if not value:
            error = self.query_one("#save-error", Static)
            error.update(self.tr("export.save.path_missing"))
            error.display = True
            return
        self.dismiss(SaveChoice(value, self.chosen_format()))

    @on(Button.Pressed, "#cancel")
    def _cancel_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
