"""Data access: Eurostat SDMX-TSV files and the synthetic demo data pack."""
