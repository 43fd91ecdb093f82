"""Related-trial recommendations: the knowledge graph projected onto trials and their features."""
