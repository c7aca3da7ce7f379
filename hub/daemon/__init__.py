"""The single writer: the daemon's loop, its control socket, the core it runs ops on, the
ops themselves, and writing from outside the daemon.
"""
