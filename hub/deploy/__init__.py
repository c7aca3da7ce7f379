"""Deploying a hub: the deploy settings, rendering system files, and the `canopy deploy` and
`canopy sticker` commands.
"""
