"""Re-planning of operating-room schedules under reduced capacity; the IHTC-2024 adapter."""
