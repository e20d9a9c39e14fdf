"""Dashboard: reports (being written)."""
