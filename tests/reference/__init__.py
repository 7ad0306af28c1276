"""Independent reference implementations and published values the tests compare with."""
