"""Crisis cell: incidents, site status, logbook, emergency plans, situation reports."""
