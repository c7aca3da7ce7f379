"""Coverage-guided fuzz targets for the hub's parsers (`make fuzz`, see tests/fuzz/run.py)."""
