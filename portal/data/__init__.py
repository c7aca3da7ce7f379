"""The portal's window on the hub: reading the log, the derived page state, presentation."""
