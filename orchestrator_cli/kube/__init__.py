"""The one adapter to the Kubernetes API, and the install lock built on it."""
