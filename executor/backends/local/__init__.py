"""The local backend: a bubblewrap jail (or namespaces) around a forked harness per run."""
