"""Equipment register (peralatan) and the blank stock ledger (blangko)."""
