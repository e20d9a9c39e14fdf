"""Dashboard: alerts (being written)."""
