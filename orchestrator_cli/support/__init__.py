"""`orch support-bundle`: one read-only archive of what troubleshooting needs (collectors as data)."""
