"""Intake on the bus (SOP step 5): applications per resident, requirement checklists with scans,
eligibility and lateness, the three ways an application ends the visit, and receipts (tanda terima)."""
