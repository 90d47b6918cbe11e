"""Recovery after the crisis: re-entry of paper, verification, identity matching, reconciliation."""
