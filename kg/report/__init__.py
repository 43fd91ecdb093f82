"""What kg tells people about a graph: statistics (and, to come, the landscape report)."""
