"""Trips: SOP step 3 (schedule, team, equipment, blank stock, surat tugas) and the departure."""
