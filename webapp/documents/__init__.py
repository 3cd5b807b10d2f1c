"""At the office (SOP step 6): files received, the operator queue, the SIAK adapter (file based),
printing and blanks, the pick-up desk with hand-over, and the public status check."""
