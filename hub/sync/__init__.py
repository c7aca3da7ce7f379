"""Hub-to-hub sync: frames, the Trickle timer, the sans-IO engine, and the daemon service
that runs it over the radio (and MQTT). See docs/sync.md."""
