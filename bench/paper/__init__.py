"""The paper's analysis on top of the harness: claims, README tables, migrations of stored records."""
