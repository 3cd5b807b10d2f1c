"""Requirement templates (syarat layanan) per service and sub-type, kept as data."""
