"""Helpers shared by the stage scripts and the rules (rules/common/*.smk) (no third-party imports)."""
