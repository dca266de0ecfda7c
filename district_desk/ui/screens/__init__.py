"""Screens of the district desk."""
