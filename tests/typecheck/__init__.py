"""Files that are type-checked with ``mypy --strict`` by tests/test_public_api.py."""
