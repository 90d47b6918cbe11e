"""Pure domain model: no I/O, no imports from the rest of bascule."""
