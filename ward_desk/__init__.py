"""Ward Desk: offline-first desk software for Vietnamese ward one-stop offices."""

__version__ = "0.1.0"
