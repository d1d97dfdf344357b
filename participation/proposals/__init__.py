"""Consolidation: proposals for the next strategy version, and the outcome of every comment."""
