"""Dashboard: campaigns (being written)."""
