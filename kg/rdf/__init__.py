"""RDF: the IRIs, terms, the mapping of records to triples, the formats kg reads and writes, the ontology."""
