"""End-to-end hostile inputs and paths through the CLI (issue 9)."""
