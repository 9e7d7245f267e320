"""Message catalogues: English is the source text; each module maps it to one language."""
