"""Speed benchmark (``make bench``); not collected by pytest."""
