"""Dashboard: organizers (being written)."""
