"""``python -m kindcheck``: the ``kindcheck`` command."""

from kindcheck.cli import entry_point

if __name__ == "__main__":
    entry_point()
