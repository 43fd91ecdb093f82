"""Related-trial recommendations: the knowledge graph projected onto trials and their features."""

METHODS = ("hybrid", "shared-features", "ppr")  # the first is the default
