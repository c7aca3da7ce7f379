"""The portal's web plumbing: security headers and tokens, forms, per-client state, languages,
the page cache and the fast path.
"""
