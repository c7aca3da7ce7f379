"""Everything Meshtastic: the adapter, the command language, fragmenting, the simulator."""
