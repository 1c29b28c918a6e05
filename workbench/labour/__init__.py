"""Labour-market analysis: pure functions on frames and arrays (no I/O, no database)."""
