"""Install steps: idempotent classes with plan (read-only), apply (server-side apply), verify."""
