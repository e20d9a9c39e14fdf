"""Dashboard: inbox (being written)."""
