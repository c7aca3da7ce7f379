"""The signed log: the entry format, the append-only store, the hub's writable log, read-only
views, export and verification.
"""
