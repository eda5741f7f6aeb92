"""The Textual app of the Kindcheck intake assistant (installed as kindcheck.screens).

The app and what every screen shares:

- ``launch``: ``run_app`` (called by kindcheck.cli) and the demo; ``app``: the App, its one
  factory ``create_app`` (from kindcheck.settings.Settings) and the navigation between screens.
- ``base``: translated key bindings, the language, the service and the clock of a screen.
- ``messages``: what a screen asks of the app to move on (a screen never imports another).
- ``heap``: what the app holds is set aside from Python's cycle collector while the clinician
  rests, so a page's collections do not walk a large caseload.

One module per screen, with its .tcss beside it:

- ``create_vault``, ``recovery_key`` (shown once) and ``unlock`` (also the idle lock screen),
  sharing unlock.tcss.
- ``home``: drafts, follow-ups due and overdue, clients, their rows' cells built by
  ``home_rows``, the two long lists each a ``paged_table`` (a DataTable that holds a page at
  a time, its rows built off the UI thread); ``client``: one client's page;
  ``followup``: holding a client's follow-up (shared by home and the client page);
  ``client_record``: the client page's part of the client record (open a session, save the
  client's dossier, delete the client); ``client_followthrough``: its events, warm hand-offs
  and Meldcode process; ``session``: one stored session read back, corrected, copied and saved
  for the EPD.
- ``intake_start``: who a new intake is for; ``intake``: the question walk, the Kindcheck
  question by question and the problem scan domain by domain, built from ``intake_keys``
  (every key of the walk, in order, to the question showing), ``intake_scan`` (the scan's
  pages) and ``intake_drafts`` (drafts saved as the clinician goes, typing included).
- ``outcome``: safety first, domains, flag or advice, follow-up rhythm; ``followup_outcome``:
  the outcome of a follow-up conversation.
- ``export_screen``: the anonymised counts; ``access_log``: who did what, when.

``widgets/``: reusable widgets (safe text and inputs, answer widgets, the domain chart, the busy
line). ``dialogs/``: typed modal dialogs (confirm and error, passphrase, plan change, save path,
correcting an answer, a confirmation typed).

Only Textual code lives here. The screens reach the vault and the core's work through the
application layer, kindcheck.service: ``VaultService`` (the only way to the encrypted store),
the session in progress (``kindcheck.service.intake``), the reports and the demo data.
Dates are read and written by kindcheck.dates.

Heavy imports (the store, the outcome engine) wait until after the passphrase: see
benchmarks/bench_startup.py.
"""
