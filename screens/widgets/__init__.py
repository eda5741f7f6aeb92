"""Reusable widgets of the app (no screens here; nothing here imports a screen).

- ``safe``: literal text and inputs that never hold control characters (``safe_text_area``:
  the multi-line one, apart because TextArea is slow to import); ``secret_input``: a
  passphrase field that keeps the characters in a wipeable buffer, never as text;
  ``damage``: how a record that cannot be read is named, with what to do.
- ``answers``: the answer list (yes / no / options) and a problem-scan row, and the
  ``AnswerGiven`` message they post; ``multi_answer``: several options at once;
  ``answer_area``: the answer widget of the current question; ``scan_page``: the rows of one
  problem-scan page.
- ``domain_chart``: the number of problem domains over a client's sessions.
- ``busy_line``: a spinner and what is happening (key derivation).
- ``keys_footer``: the footer, redrawn only when the keys it shows change; ``changed``: a
  line redrawn only when what it shows changes (and laid out again only when its height does).
- ``text_buffer``: the text of a typed answer, edited key by key (exact type-ahead).
- ``toggles``: a checkbox and a radio button that read ticked only when they are.

Modules are imported where they are used: importing this package loads nothing.
"""
