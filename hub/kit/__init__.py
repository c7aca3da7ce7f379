"""The kit: a signed bundle of what another neighbourhood needs to start (no people)."""
