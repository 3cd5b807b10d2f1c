"""Content-addressed storage of uploads (scanned letters, later photos and scans from the bus)."""
