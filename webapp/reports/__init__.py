"""Reports for the office's management: the mutu baku dashboard (each SOP step's actual times
against its standard, read from the status history) and, beside it, the periodic reports."""
