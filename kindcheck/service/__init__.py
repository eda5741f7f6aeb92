"""The application layer: what the command line and the screens both call.

It puts the domain (answers, outcome, follow-up policy) and the encrypted store together, and
turns the store's plain data into domain values. No Textual here. Modules are imported where
they are needed: importing this package loads nothing heavy.
"""
