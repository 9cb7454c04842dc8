"""Vocabularies: audiences, categories and districts."""
