"""Office settings: a small key-value table with typed accessors and defaults."""
