"""Typed dialogs (``ModalScreen[T]``): each returns its result through ``dismiss()`` to the
screen that opened it. A dialog never opens a screen.

- ``confirm``: an error, a yes/no question.
- ``passphrase``: change the passphrase; a new one with the recovery key.
- ``plan_change``: skip or move a conversation, change the rhythm, end the treatment.
- ``save_path``: where to save a report file, and what saving it can answer.
- ``existing_client``: a new intake on a reference that is in the vault: go on, or correct it.
- ``help``: the help screen (F1) of the screen underneath.

Modules are imported where they are used: importing this package loads nothing.
"""
