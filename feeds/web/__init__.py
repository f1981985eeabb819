"""The web edge: the static site from out/ (and, with the daemon, the push API, health and metrics)."""
