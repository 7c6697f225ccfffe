"""The Docker backend: one hardened container per run, warm pool, image by harness hash."""
