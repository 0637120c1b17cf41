"""The package version (one place; ``greensurvey --version`` and reports read it)."""

__version__ = "0.1.0"
