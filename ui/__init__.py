"""The Flask web UI and HTTP API; the only package that imports Flask."""

from ui.app import create_app

__all__ = ["create_app"]
