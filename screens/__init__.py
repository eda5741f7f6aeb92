"""The Textual app of the Kindcheck intake assistant (installed as kindcheck.screens).

Modules, one per screen with its .tcss beside it:

- ``launch``: ``run_app`` (called by kindcheck.cli) and the demo; ``app``: the App and its
  one factory ``create_app`` (from kindcheck.settings.Settings).
- ``unlock``: create the vault (recovery key shown once), unlock, and the idle lock screen.
- ``home``: drafts, follow-ups due and overdue, clients; ``client``: one client's page.
- ``intake``: the Kindcheck question by question, the problem scan domain by domain;
  ``answer_widgets``: the answer list and scan rows; ``outcome``: safety first, domains, flag
  or advice, follow-up rhythm.
- ``safe``: literal text and inputs that never hold control characters; ``dialogs``: typed
  modal dialogs.

Only Textual code lives here. The screens reach the vault and the core's work through the
application layer, kindcheck.service: ``VaultService`` (the only way to the encrypted store),
the session in progress (``kindcheck.service.intake``), the reports and the demo data.

Heavy imports (the store, the outcome engine) wait until after the passphrase: see
benchmarks/bench_startup.py.
"""
