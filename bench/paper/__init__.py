"""The paper's analysis on top of the harness: claims, the generated tables of the docs, migrations of stored records."""
