"""Turning solved equilibria into tables and documents."""
