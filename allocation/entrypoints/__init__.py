"""Entrypoints: the CLI and the HTTP service. They translate, and call the use cases."""
