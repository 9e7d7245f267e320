"""One blueprint per area of the UI and API."""
