"""The `keras-fip` command line."""
