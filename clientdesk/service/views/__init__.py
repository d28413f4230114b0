"""Staff pages of the service domain; each module brings its own routes (see ../urls.py)."""
