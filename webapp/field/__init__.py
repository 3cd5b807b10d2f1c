"""Trip day on site (SOP steps 4–5): arrival, the roster of residents and walk-ins, queue numbers,
calling residents, sending home with a missing-items slip, and the berita acara pelayanan."""
