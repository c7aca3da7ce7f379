"""Canopy's domain and daemon: entries, the log store, settings, the CLI."""
