"""The Textual app of the Kindcheck intake assistant (installed as kindcheck.screens)."""
