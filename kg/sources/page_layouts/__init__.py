"""One module per registry page layout; `common` holds what they share."""
