"""Paper fallback: PDF packets and forms, QR form codes, the form registry, scanning back."""
