"""Field node ↔ office sync: node registration and pairing, trip check-out/check-in, the outbox fed
by the change door, push (idempotent apply on the office, conflicts for a person), media by sha256
(resumable), pull by cursor, and the node's state shown in every page's header."""
