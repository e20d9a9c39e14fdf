"""Organizer accounts: passwords, sessions, login throttling, invitations and password resets."""
