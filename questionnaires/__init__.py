"""The questionnaires as data (TOML); this file only makes the folder a package."""
