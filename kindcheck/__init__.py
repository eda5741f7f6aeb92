"""Kindcheck intake assistant: the core (no Textual here)."""

__version__ = "0.1.0"
