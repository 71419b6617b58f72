"""`orch install` and `orch check --pre`: inputs, config, pre-flight, the step pipeline."""
