"""The package and its records as seccoop reads them: the layout, the curated files, the schemas,
rights and problems."""
