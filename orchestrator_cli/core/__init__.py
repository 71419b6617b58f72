"""Shared building blocks: errors, secrets, ownership marks, rendering, diff, plan changes."""
