"""The record model: one typed record per registry record, the registry's code lists, doses read from text."""
