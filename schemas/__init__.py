"""Pydantic v2 models: every input row and every output record is validated here."""
