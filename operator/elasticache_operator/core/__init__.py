"""The pure core: spec → desired AWS state → plan → status. No I/O, no clock."""
