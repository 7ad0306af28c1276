"""The ``truce`` command line."""
