"""careflow test suite."""
