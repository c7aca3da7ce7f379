"""The daemon's named operations, by area. Each module's ``OPS`` maps names to functions of
``(core, args)``; :data:`OPS` is all of them.
"""
