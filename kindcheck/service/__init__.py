"""The application layer: what the command line and the screens both call.

It puts the domain (answers, outcome, follow-up policy, export) and the encrypted store
together, and turns the store's plain data into domain values. No Textual here. Modules are
imported where they are needed: importing this package loads nothing heavy.

- :mod:`.vault_service`: ``VaultService``, the one door to the vault (open, create, unlock,
  lock, read the caseload, save drafts and sessions; its reads of home and a client's page
  are in :mod:`.caseload_reads`, a large caseload's home from the caseload summary in
  :mod:`.caseload_summary_reads`); :mod:`.views`: what it hands back.
- :mod:`.recording`: ``record_session``, the one way a session, intake or follow-up, is stored.
- :mod:`.intake`: the session in progress and its draft.
- :mod:`.plans`: stored plans as ``FollowUpPlan`` values; :mod:`.caseload`: the due list.
- :mod:`.reports`: the anonymised export pipeline; :mod:`.access_log`: the access-log document.
- :mod:`.demo`: the synthetic caseload of ``kindcheck demo``.
"""
