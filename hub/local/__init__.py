"""Files of one hub on its own disk: the data directory and its writer lock, the identity,
atomic writes, the crash-safe TinyDB storage, and the small local records kept in it
(invite codes, the node list). Local bookkeeping, never history.
"""
