"""The Textual app of the Kindcheck intake assistant (installed as kindcheck.screens).

Modules, one per screen with its .tcss beside it:

- ``launch``: ``run_app`` (called by kindcheck.cli) and the demo; ``app``: the App and its
  one factory ``create_app``; ``settings``: the typed settings (TOML + environment).
- ``unlock``: create the vault (recovery key shown once), unlock, and the idle lock screen.
- ``home``: drafts, follow-ups due and overdue, clients; ``client``: one client's page.
- ``intake``: the Kindcheck question by question, the problem scan domain by domain;
  ``intake_state``: the intake and its draft as plain data; ``answer_widgets``: the answer list
  and scan rows; ``outcome``: safety first, domains, flag or advice, follow-up rhythm.
- ``services``: the only way to the encrypted store; ``safe``: literal text and inputs that
  never hold control characters; ``dialogs``: typed modal dialogs; ``demo``: synthetic data.

Heavy imports (the store, the outcome engine) wait until after the passphrase: see
benchmarks/bench_startup.py.
"""
