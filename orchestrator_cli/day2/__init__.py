"""Day-2 commands: status, workflow namespaces, cleanup."""
