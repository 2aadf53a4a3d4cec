"""Helpers shared by the stage scripts and rules/common.smk (no third-party imports)."""
