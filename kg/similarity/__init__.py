"""Related-trial recommendations: the knowledge graph projected onto trials and their features."""

METHODS = ("hybrid", "shared-features", "ppr")  # the first is the default
EXPORT_FORMATS = ("graphml", "gexf", "kgx")
HALVES = ("all", "tune", "held-out")  # of a truth set: weights are fitted on `tune`, reported on `held-out`
