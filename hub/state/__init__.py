"""The hub's state as pure folds of log entries from any number of feeds: roster and roles,
patrol, alerts, content; and the notices the hub derives from them. No I/O.
"""
