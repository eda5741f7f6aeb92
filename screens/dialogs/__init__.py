"""Typed dialogs (``ModalScreen[T]``): each returns its result through ``dismiss()`` to the
screen that opened it. A dialog never opens a screen.

- ``confirm``: an error, a yes/no question.
- ``followthrough``: a warm hand-off, an event, a Meldcode afweging or decision, closing the
  Meldcode process, the professional group.
- ``passphrase``: change the passphrase; a new one with the recovery key; a new recovery key.
- ``vault_notice``: an older copy of the vault (put back on purpose?), a damaged key slot,
  read-only media: said right after unlocking.
- ``plan_change``: skip or move a conversation, change the rhythm, end the treatment.
- ``save_path``: where to save a report file, and what saving it can answer.
- ``correct_answer``: correcting one answer of a stored session (question, answer, reason).
- ``typed_confirm``: a confirmation that must be typed (deleting a client).
- ``existing_client``: a new intake on a reference that is in the vault: go on, or correct it.
- ``help``: the help screen (F1) of the screen underneath.

Modules are imported where they are used: importing this package loads nothing.
"""
