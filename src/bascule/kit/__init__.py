"""Continuity kits: per-site encrypted, signed local copies, deltas, viewer and agent."""
