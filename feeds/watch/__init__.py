"""Watching external news feeds for coverage that matches the press office's keyword rules."""
