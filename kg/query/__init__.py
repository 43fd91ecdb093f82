"""Asking the graph: preparing SPARQL (read-only checks), the engines, answer formats, the endpoint."""
